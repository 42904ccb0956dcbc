/* The non-JNI parts of libpowerhose-jni (src/jni/shim.c) against real libzmq sockets: whole
 * messages of 1 to 1000 frames, empty and 32 MiB frames, DONTWAIT and EHOSTUNREACH sending nothing
 * (never half a message), EINTR retried, dead sockets, a random fuzz, Z85 and CURVE keys. Runs
 * under valgrind (make test). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>
#include "check.h"
#include "shim.h"

static void *ctx;
static char dir[] = "/tmp/powerhose-test-shim-XXXXXX";
static int endpoint_seq;

/* A bound and a connected socket on a fresh ipc endpoint in the test's private folder. */
static void pair_of(int bind_type, int connect_type, void **bound, void **connected)
{
    char endpoint[256];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/%d.ipc", dir, endpoint_seq++);
    int zero = 0;
    *bound = zmq_socket(ctx, bind_type);
    *connected = zmq_socket(ctx, connect_type);
    zmq_setsockopt(*bound, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(*connected, ZMQ_LINGER, &zero, sizeof zero);
    CHECK(zmq_bind(*bound, endpoint) == 0, "bind %s: %s", endpoint, zmq_strerror(errno));
    CHECK(zmq_connect(*connected, endpoint) == 0, "connect %s: %s", endpoint, zmq_strerror(errno));
}

/* Empties m and fills it with n frames; frame i holds size_of(i) bytes of a pattern of seed and i. */
static void fill(ph_message *m, size_t n, size_t (*size_of)(size_t), unsigned seed)
{
    ph_message_clear(m);
    CHECK(ph_message_reserve(m, n) == 0, "reserve %zu", n);
    for (size_t i = 0; i < n; i++) {
        size_t size = size_of(i);
        uint8_t *data = ph_message_add(m, size);
        CHECK(data != NULL || size == 0, "add frame %zu of %zu bytes", i, size);
        for (size_t k = 0; data != NULL && k < size; k++)
            data[k] = (uint8_t)(seed * 31 + i * 7 + k);
    }
}

static int matches(ph_message *m, size_t n, size_t (*size_of)(size_t), unsigned seed)
{
    if (m->count != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (zmq_msg_size(&m->frames[i]) != size_of(i))
            return 0;
        const uint8_t *data = zmq_msg_data(&m->frames[i]);
        for (size_t k = 0; k < size_of(i); k++)
            if (data[k] != (uint8_t)(seed * 31 + i * 7 + k))
                return 0;
    }
    return 1;
}

static size_t small(size_t i) { return i % 5 == 0 ? 0 : 1 + i % 40; }
static size_t empty(size_t i) { (void)i; return 0; }
static size_t huge(size_t i) { return i == 1 ? (size_t)32 << 20 : 3; }

static void test_whole_messages(void)
{
    void *a, *b;
    pair_of(ZMQ_PAIR, ZMQ_PAIR, &a, &b);
    size_t counts[] = {1, 2, PH_INLINE_FRAMES, PH_INLINE_FRAMES + 1, 1000};
    ph_message out, in;
    ph_message_init(&out);
    ph_message_init(&in);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        fill(&out, counts[c], small, (unsigned)c);
        CHECK(ph_message_send(&out, a, 0) == 0, "send %zu frames", counts[c]);
        CHECK(out.count == 0, "send leaves the message empty");
        CHECK(ph_message_recv(&in, b, 0) == 0, "recv %zu frames", counts[c]);
        CHECK(matches(&in, counts[c], small, (unsigned)c), "%zu frames arrive whole and in order", counts[c]);
    }
    fill(&out, 3, empty, 0);
    CHECK(ph_message_send(&out, b, ZMQ_DONTWAIT) == 0, "three empty frames");
    CHECK(ph_message_recv(&in, a, 0) == 0 && matches(&in, 3, empty, 0), "three empty frames arrive");
    fill(&out, 3, huge, 9);
    CHECK(ph_message_send(&out, a, 0) == 0, "a 32 MiB frame");
    CHECK(ph_message_recv(&in, b, 0) == 0 && matches(&in, 3, huge, 9), "the 32 MiB frame arrives intact");
    CHECK(ph_message_send(&out, a, 0) == EINVAL, "no frame: EINVAL");
    CHECK(ph_message_recv(&in, b, ZMQ_DONTWAIT) == EAGAIN && in.count == 0, "nothing waiting: EAGAIN, empty");
    ph_message_release(&out);
    ph_message_release(&in);
    zmq_close(a);
    zmq_close(b);
}

/* DONTWAIT against a full queue sends nothing: every message that was taken arrives whole, and the
 * next message after the queue drains is not glued to a leftover frame. */
static void test_dontwait_sends_whole_messages_or_nothing(void)
{
    void *a, *b;
    pair_of(ZMQ_PAIR, ZMQ_PAIR, &a, &b);
    int one = 1;
    zmq_setsockopt(a, ZMQ_SNDHWM, &one, sizeof one);
    zmq_setsockopt(b, ZMQ_RCVHWM, &one, sizeof one);
    ph_message m;
    ph_message_init(&m);
    fill(&m, 1, small, 0);   /* connected: the bound side has a pipe to send on */
    CHECK(ph_message_send(&m, b, 0) == 0 && ph_message_recv(&m, a, 0) == 0, "handshake");
    int sent = 0, error = 0;
    for (int i = 0; i < 100000 && error == 0; i++) {
        fill(&m, 3, small, (unsigned)i);
        error = ph_message_send(&m, a, ZMQ_DONTWAIT);
        if (error == 0)
            sent++;
    }
    CHECK(error == EAGAIN, "a full queue answers EAGAIN, not %s", zmq_strerror(error));
    CHECK(sent >= 1, "some messages were taken (%d)", sent);
    int received = 0;
    while (ph_message_recv(&m, b, ZMQ_DONTWAIT) == 0 || received < sent) {
        if (m.count == 0) {
            usleep(1000);
            continue;
        }
        CHECK(matches(&m, 3, small, (unsigned)received), "message %d arrives whole", received);
        received++;
    }
    CHECK(received == sent, "received %d of %d", received, sent);
    fill(&m, 2, small, 77);
    CHECK(ph_message_send(&m, a, ZMQ_DONTWAIT) == 0, "the queue takes a message again");
    CHECK(ph_message_recv(&m, b, 0) == 0 && matches(&m, 2, small, 77), "with no frame of the refused ones");
    ph_message_release(&m);
    zmq_close(a);
    zmq_close(b);
}

static void test_unknown_routing_id_sends_nothing(void)
{
    void *router, *dealer;
    pair_of(ZMQ_ROUTER, ZMQ_DEALER, &router, &dealer);
    int one = 1;
    zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    ph_message m;
    ph_message_init(&m);
    fill(&m, 1, small, 1);
    CHECK(ph_message_send(&m, dealer, 0) == 0, "dealer says hello");
    CHECK(ph_message_recv(&m, router, 0) == 0 && m.count == 2, "router gets [id][hello]");
    size_t id_size = zmq_msg_size(&m.frames[0]);
    uint8_t id[256];
    memcpy(id, zmq_msg_data(&m.frames[0]), id_size);

    CHECK(ph_message_reserve(&m, 3) == 0, "reserve");
    ph_message_clear(&m);
    memcpy(ph_message_add(&m, 5), "nobody", 5);
    memcpy(ph_message_add(&m, 4), "lost", 4);
    CHECK(ph_message_send(&m, router, ZMQ_DONTWAIT) == EHOSTUNREACH, "unknown routing id: EHOSTUNREACH");
    CHECK(m.count == 0, "the refused message's frames are closed");
    memcpy(ph_message_add(&m, id_size), id, id_size);
    memcpy(ph_message_add(&m, 2), "ok", 2);
    CHECK(ph_message_send(&m, router, ZMQ_DONTWAIT) == 0, "known routing id");
    CHECK(ph_message_recv(&m, dealer, 0) == 0 && m.count == 1 && zmq_msg_size(&m.frames[0]) == 2
          && memcmp(zmq_msg_data(&m.frames[0]), "ok", 2) == 0, "the dealer gets [ok] alone, no leftover");
    ph_message_release(&m);
    zmq_close(router);
    zmq_close(dealer);
}

static volatile sig_atomic_t signals_seen;
static void on_signal(int sig) { (void)sig; signals_seen++; }

typedef struct { void *socket; int error; ph_message m; } receiver_arg;

static void *receiver(void *p)
{
    receiver_arg *r = p;
    r->error = ph_message_recv(&r->m, r->socket, 0);
    return NULL;
}

/* Signals that interrupt a waiting receive (EINTR) do not end it. */
static void test_signals_do_not_end_a_wait(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: the wait in libzmq fails with EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    void *a, *b;
    pair_of(ZMQ_PAIR, ZMQ_PAIR, &a, &b);
    receiver_arg r = {b, -1, {0}};
    ph_message_init(&r.m);
    pthread_t thread;
    pthread_create(&thread, NULL, receiver, &r);
    for (int i = 0; i < 20; i++) {
        usleep(5000);
        pthread_kill(thread, SIGUSR1);
    }
    ph_message m;
    ph_message_init(&m);
    fill(&m, 4, small, 5);
    CHECK(ph_message_send(&m, a, 0) == 0, "send after the signals");
    pthread_join(thread, NULL);
    CHECK(signals_seen > 0, "the receiving thread got signals");
    CHECK(r.error == 0 && matches(&r.m, 4, small, 5), "the receive waited through them: %s", zmq_strerror(r.error));
    ph_message_release(&r.m);
    ph_message_release(&m);
    signal(SIGUSR1, SIG_DFL);
    zmq_close(a);
    zmq_close(b);
}

static void test_dead_sockets(void)
{
    ph_message m;
    ph_message_init(&m);
    CHECK(ph_message_recv(&m, NULL, ZMQ_DONTWAIT) == ENOTSOCK, "recv on no socket: ENOTSOCK");
    fill(&m, 2, small, 1);
    CHECK(ph_message_send(&m, NULL, 0) == ENOTSOCK && m.count == 0, "send on no socket: ENOTSOCK, frames closed");
    void *c = zmq_ctx_new();
    void *s = zmq_socket(c, ZMQ_PAIR);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_ctx_shutdown(c);
    CHECK(ph_message_recv(&m, s, 0) == ETERM, "recv after the context shut down: ETERM");
    fill(&m, 2, small, 1);
    CHECK(ph_message_send(&m, s, 0) == ETERM && m.count == 0, "send after the context shut down: ETERM");
    zmq_close(s);
    zmq_ctx_term(c);
    ph_message_release(&m);
}

static unsigned rng = 12345;
static unsigned next_random(void) { rng = rng * 1103515245u + 12345u; return rng >> 8; }
static size_t fuzz_sizes[2000];
static size_t fuzz_size(size_t i) { return fuzz_sizes[i]; }

static void test_fuzz(void)
{
    void *router, *dealer;
    pair_of(ZMQ_ROUTER, ZMQ_DEALER, &router, &dealer);
    ph_message out, in;
    ph_message_init(&out);
    ph_message_init(&in);
    int bad = 0;
    for (unsigned i = 0; i < 3000; i++) {
        size_t n = 1 + next_random() % (next_random() % 8 == 0 ? 200 : 8);
        for (size_t k = 0; k < n; k++)
            fuzz_sizes[k] = next_random() % 16 == 0 ? next_random() % 70000 : next_random() % 64;
        fill(&out, n, fuzz_size, i);
        CHECK(ph_message_send(&out, dealer, 0) == 0, "fuzz send %u", i);
        if (ph_message_recv(&in, router, 0) != 0 || in.count != n + 1) {
            bad++;
            continue;
        }
        zmq_msg_t id;
        zmq_msg_init(&id);
        zmq_msg_move(&id, &in.frames[0]);   /* drop the routing id, compare the rest */
        zmq_msg_close(&id);
        int ok = 1;
        for (size_t k = 0; k < n && ok; k++) {
            const uint8_t *data = zmq_msg_data(&in.frames[k + 1]);
            ok = zmq_msg_size(&in.frames[k + 1]) == fuzz_sizes[k];
            for (size_t j = 0; ok && j < fuzz_sizes[k]; j++)
                ok = data[j] == (uint8_t)(i * 31 + k * 7 + j);
        }
        bad += !ok;
    }
    CHECK(bad == 0, "%d of 3000 random messages differ", bad);
    ph_message_release(&out);
    ph_message_release(&in);
    zmq_close(router);
    zmq_close(dealer);
}

static void test_add_needs_room(void)
{
    ph_message m;
    ph_message_init(&m);
    for (int i = 0; i < PH_INLINE_FRAMES; i++)
        CHECK(ph_message_add(&m, 1) != NULL, "inline frame %d", i);
    CHECK(ph_message_add(&m, 1) == NULL, "no room reserved past the inline frames");
    CHECK(ph_message_reserve(&m, PH_INLINE_FRAMES + 1) == 0 && ph_message_add(&m, 1) != NULL, "room reserved");
    CHECK(m.count == PH_INLINE_FRAMES + 1, "frames kept across the move to the heap");
    ph_message_release(&m);
}

static void test_z85(void)
{
    const uint8_t hello[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[10];
    uint8_t back[8];
    CHECK(ph_z85_encode(text, sizeof text, hello, 8) == 0 && memcmp(text, "HelloWorld", 10) == 0,
          "the Z85 spec's example encodes to HelloWorld");
    CHECK(ph_z85_decode(back, sizeof back, "HelloWorld", 10) == 0 && memcmp(back, hello, 8) == 0,
          "and HelloWorld decodes back");
    CHECK(ph_z85_encode(text, sizeof text, hello, 7) == EINVAL, "7 bytes: not a multiple of 4");
    CHECK(ph_z85_encode(text, 9, hello, 8) == EINVAL, "no room for the text");
    CHECK(ph_z85_decode(back, sizeof back, "HelloWorl", 9) == EINVAL, "9 characters: not a multiple of 5");
    CHECK(ph_z85_decode(back, sizeof back, "Hello\"orld", 10) == EINVAL, "a character outside Z85");
    CHECK(ph_z85_decode(back, sizeof back, "Hello\0orld", 10) == EINVAL, "a NUL inside");
    CHECK(ph_z85_decode(back, 7, "HelloWorld", 10) == EINVAL, "no room for the bytes");
    CHECK(ph_z85_decode(back, sizeof back, "%%%%%", 5) == EINVAL, "a value over 2^32");
    CHECK(ph_z85_encode(text, 0, hello, 0) == 0 && ph_z85_decode(back, 0, "", 0) == 0, "empty both ways");
}

static void test_curve(void)
{
    char pub[PH_Z85_KEY_LENGTH], sec[PH_Z85_KEY_LENGTH], derived[PH_Z85_KEY_LENGTH];
    int error = ph_curve_keypair(pub, sec);
    CHECK(error == 0, "keypair: %s (libzmq without CURVE?)", zmq_strerror(error));
    CHECK(ph_curve_public(derived, sec) == 0 && memcmp(derived, pub, PH_Z85_KEY_LENGTH) == 0,
          "the public key derived from the secret one is the pair's");
    uint8_t raw[32];
    CHECK(ph_z85_decode(raw, sizeof raw, pub, PH_Z85_KEY_LENGTH) == 0, "a public key is 32 bytes of Z85");
    char bad[PH_Z85_KEY_LENGTH];
    memcpy(bad, sec, sizeof bad);
    bad[7] = '"';
    CHECK(ph_curve_public(derived, bad) == EINVAL, "a secret key with a bad character: EINVAL");
    bad[7] = '\0';
    CHECK(ph_curve_public(derived, bad) == EINVAL, "a secret key with a NUL: EINVAL");
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    ctx = zmq_ctx_new();
    test_whole_messages();
    test_dontwait_sends_whole_messages_or_nothing();
    test_unknown_routing_id_sends_nothing();
    test_signals_do_not_end_a_wait();
    test_dead_sockets();
    test_fuzz();
    test_add_needs_room();
    test_z85();
    test_curve();
    zmq_ctx_term(ctx);
    for (int i = 0; i < endpoint_seq; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%d.ipc", dir, i);
        unlink(path);
    }
    rmdir(dir);
    return check_summary("test-shim");
}
