/* In-process integration test: a fake broker (ROUTER + PUB on ipc in a temp dir) drives
 * ph_worker_run() running on a thread. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "check.h"
#include "powerhose/worker.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the handler: echo, steered by headers */
static int handler(const ph_job_t *job, ph_reply_t *out, void *user)
{
    (void)user;
    const char *ms = ph_job_header(job, "sleep");
    if (ms) {
        sleep_ms(atol(ms));
    }
    const char *op = ph_job_header(job, "op");
    if (op && strcmp(op, "fail") == 0) {
        ph_reply_printf(out, "TestError: asked to fail");
        return 1;
    }
    if (op && strcmp(op, "fail-empty") == 0)
        return 7;
    if (op && strcmp(op, "budget") == 0)
        return ph_reply_printf(out, "%lld", job->budget_ms);
    if (op && strcmp(op, "param") == 0) {
        const char *v = ph_job_param(job, "p1");
        return ph_reply_printf(out, "%s", v ? v : "(none)");
    }
    return ph_reply_set(out, job->data, job->data_len);
}

/* ---- the fake broker */
typedef struct {
    int n;
    size_t len[10];
    unsigned char *f[10];
} msg_t;

static void *g_ctx, *g_router, *g_pub;
static char g_back[300], g_beat[300];

static void msg_free(msg_t *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->f[i]);
    m->n = 0;
}

static int frame_is(const msg_t *m, int i, const void *s, size_t len)
{
    return i < m->n && m->len[i] == len && memcmp(m->f[i], s, len) == 0;
}
#define FRAME_IS(m, i, lit) frame_is((m), (i), (lit), sizeof(lit) - 1)

static int cmd_of(const msg_t *m)   /* frames: [routing id][PHW1][cmd]... */
{
    if (m->n < 3 || !FRAME_IS(m, 1, "PHW1") || m->len[2] != 1)
        return -1;
    return m->f[2][0];
}

static unsigned char g_worker_id[256];
static size_t g_worker_id_len;
static int g_heartbeats;

/* Receives the next message from the current worker within timeout_ms; HEARTBEATs are
 * counted and skipped unless want_heartbeat. Returns 0 or -1 on timeout. */
static int broker_recv(msg_t *m, int timeout_ms, int want_heartbeat)
{
    m->n = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (1) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0)
            return -1;
        zmq_pollitem_t item = {g_router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, left) <= 0)
            continue;
        int more = 1;
        while (more) {
            zmq_msg_t z;
            zmq_msg_init(&z);
            zmq_msg_recv(&z, g_router, 0);
            more = zmq_msg_more(&z);
            if (m->n < 10) {
                m->len[m->n] = zmq_msg_size(&z);
                m->f[m->n] = malloc(m->len[m->n] + 1);
                memcpy(m->f[m->n], zmq_msg_data(&z), m->len[m->n]);
                m->f[m->n][m->len[m->n]] = 0;
                m->n++;
            }
            zmq_msg_close(&z);
        }
        int is_current = g_worker_id_len && frame_is(m, 0, g_worker_id, g_worker_id_len);
        if (cmd_of(m) == 0x01 && !is_current) {       /* a new worker's READY */
            memcpy(g_worker_id, m->f[0], m->len[0]);
            g_worker_id_len = m->len[0];
            return 0;
        }
        if (!is_current || (cmd_of(m) == 0x04 && !want_heartbeat)) {
            if (is_current)
                g_heartbeats++;
            msg_free(m);
            continue;
        }
        return 0;
    }
}

static void broker_send(int n, const void *const *data, const size_t *len)
{
    zmq_send(g_router, g_worker_id, g_worker_id_len, ZMQ_SNDMORE);
    for (int i = 0; i < n; i++)
        zmq_send(g_router, data[i], len[i], i + 1 < n ? ZMQ_SNDMORE : 0);
}

static void send_cmd(unsigned char cmd)
{
    const void *d[] = {"PHW1", &cmd};
    size_t l[] = {4, 1};
    broker_send(2, d, l);
}

static void send_request(const char *id, const char *budget, const void *payload, size_t len)
{
    unsigned char cmd = 0x02;
    const void *d[] = {"PHW1", &cmd, id, budget, payload};
    size_t l[] = {4, 1, strlen(id), strlen(budget), len};
    broker_send(5, d, l);
}

/* Expects REPLY [id][status][payload]. */
static void expect_reply(const char *what, const char *id, const char *status, const char *payload,
                         int prefix_only)
{
    msg_t m;
    int rc = broker_recv(&m, 5000, 0);
    CHECK(rc == 0, "%s: no reply", what);
    if (rc != 0)
        return;
    CHECK(cmd_of(&m) == 0x03 && m.n == 6, "%s: not a REPLY (cmd %d, %d frames)", what, cmd_of(&m), m.n);
    if (m.n == 6) {
        CHECK(frame_is(&m, 3, id, strlen(id)), "%s: job id %s", what, (char *)m.f[3]);
        CHECK(frame_is(&m, 4, status, strlen(status)), "%s: status %s", what, (char *)m.f[4]);
        size_t want = prefix_only ? strlen(payload) : m.len[5];
        CHECK(m.len[5] >= strlen(payload) && strlen(payload) == want && memcmp(m.f[5], payload, want) == 0,
              "%s: payload '%s', want '%s'", what, (char *)m.f[5], payload);
    }
    msg_free(&m);
}

static void expect_ready(const char *what, int prefetch)
{
    msg_t m;
    int rc = broker_recv(&m, 5000, 0);
    CHECK(rc == 0 && cmd_of(&m) == 0x01, "%s: no READY", what);
    if (rc == 0) {
        char pid[24], pf[16], host[128] = "", label[160];
        snprintf(pid, sizeof pid, "%ld", (long)getpid());
        snprintf(pf, sizeof pf, "%d", prefetch);
        gethostname(host, sizeof host - 1);
        snprintf(label, sizeof label, "c@%s", host);   /* language@host */
        CHECK(m.n == 7 && frame_is(&m, 3, pid, strlen(pid)) && FRAME_IS(&m, 4, "1")
                  && frame_is(&m, 5, label, strlen(label)) && frame_is(&m, 6, pf, strlen(pf)),
              "%s: READY [pid][1][%s][%s] (%d frames)", what, label, pf, m.n - 1);
    }
    msg_free(&m);
}

/* ---- the worker under test, on a thread */
typedef struct {
    ph_worker_options_t opts;
    pthread_t thread;
    atomic_int done;
    int rc;
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    w->rc = ph_worker_run(&w->opts, handler, NULL);
    atomic_store(&w->done, 1);
    return NULL;
}

static void start_worker(worker_t *w)
{
    atomic_init(&w->done, 0);
    pthread_create(&w->thread, NULL, worker_main, w);
    g_worker_id_len = 0;
    expect_ready("start", w->opts.prefetch);
}

static void default_opts(worker_t *w)
{
    memset(w, 0, sizeof *w);
    ph_worker_options_init(&w->opts);
    w->opts.name = "test-worker";
    w->opts.backend = g_back;
    w->opts.heartbeat = g_beat;
    w->opts.heartbeat_interval_s = 0.1;
    w->opts.max_job_bytes = 1000;
    w->opts.params = "p1:value one|p2:x";
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void expect_exit(worker_t *w, int code, const char *what)
{
    for (int i = 0; i < 800 && !atomic_load(&w->done); i++)
        sleep_ms(10);
    CHECK(atomic_load(&w->done), "%s: worker did not exit", what);
    pthread_join(w->thread, NULL);
    CHECK(w->rc == code, "%s: exit code %d, want %d", what, w->rc, code);
}

static void scenario_main(void)
{
    worker_t w;
    default_opts(&w);
    w.opts.prefetch = 1;   /* so that a third REQUEST while one runs and one waits is "busy" */
    start_worker(&w);

    send_request("j1", "5000", "NONE:::hello", 12);
    expect_reply("echo", "j1", "OK", "hello", 0);
    const char hdr[] = "x:y::\\NONE:\\0:::a:::b\0c";
    send_request("j2", "5000", hdr, sizeof hdr - 1);
    msg_t m;
    CHECK(broker_recv(&m, 5000, 0) == 0 && m.n == 6 && m.len[5] == 7 && memcmp(m.f[5], "a:::b\0c", 7) == 0,
          "binary data with ::: and NUL");
    msg_free(&m);
    const char *budget = "op:budget:::";
    send_request("j3", "1234", budget, strlen(budget));
    expect_reply("budget", "j3", "OK", "1234", 0);
    const char *param = "op:param:::";
    send_request("j4", "1", param, strlen(param));
    expect_reply("params", "j4", "OK", "value one", 0);

    send_request("bad1", "5000", "k:v:x", 5);
    expect_reply("malformed payload", "bad1", "ERROR", "malformed job: ", 1);
    char big[1000 + 1];
    memset(big, 'z', sizeof big);
    memcpy(big, "NONE:::", 7);
    send_request("big", "5000", big, sizeof big);
    expect_reply("oversized", "big", "ERROR", "job too large: 1001 > 1000 bytes", 0);
    send_request("ok1000", "5000", big, 1000);
    expect_reply("exactly the limit", "ok1000", "OK", "zzzz", 1);
    const char *fail = "op:fail:::";
    send_request("f1", "5000", fail, strlen(fail));
    expect_reply("handler error", "f1", "ERROR", "TestError: asked to fail", 0);
    const char *fail2 = "op:fail-empty:::";
    send_request("f2", "5000", fail2, strlen(fail2));
    expect_reply("handler error, no text", "f2", "ERROR", "HandlerError: handler returned 7", 0);

    unsigned char cmd = 0x02;
    const void *d4[] = {"PHW1", &cmd, "short", "5000"};
    size_t l4[] = {4, 1, 5, 4};
    broker_send(4, d4, l4);
    expect_reply("4-frame request", "short", "ERROR", "malformed request: expected 5 frames, got 4", 0);
    send_request("bb", "soon", "NONE:::x", 8);
    expect_reply("bad budget", "bb", "ERROR", "malformed request: budget", 1);

    unsigned char unknown = 0x09;
    const void *du[] = {"PHW1", &unknown, "x"};
    size_t lu[] = {4, 1, 1};
    broker_send(3, du, lu);
    const void *dv[] = {"PHW9", &cmd, "v9", "1", "NONE:::x"};
    size_t lv[] = {4, 1, 2, 1, 8};
    broker_send(5, dv, lv);
    send_cmd(0x04);   /* a broker HEARTBEAT: nothing to answer */
    send_request("after", "5000", "NONE:::still here", 17);
    expect_reply("after unknown/bad messages", "after", "OK", "still here", 0);

    /* heartbeats keep coming while a slow handler runs; with prefetch 1 a second REQUEST is
     * queued and run after it, a third is answered "busy", a malformed one ERROR at once */
    g_heartbeats = 0;
    const char *slow = "sleep:1500:::slow";
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    send_request("slow", "5000", slow, strlen(slow));
    send_request("second", "5000", "NONE:::second", 13);
    send_request("third", "5000", "NONE:::x", 8);
    send_request("bad2", "5000", big, sizeof big);
    expect_reply("busy beyond capacity + prefetch", "third", "ERROR", "worker busy: capacity 1, prefetch 1", 0);
    expect_reply("oversized while busy", "bad2", "ERROR", "job too large: 1001 > 1000 bytes", 0);
    CHECK(since(&t0) < 1.0, "busy and oversized answered at once, not after the job (%.2fs)", since(&t0));
    expect_reply("slow", "slow", "OK", "slow", 0);
    CHECK(since(&t0) >= 1.4, "slow job took %.2fs", since(&t0));
    CHECK(g_heartbeats >= 10, "only %d heartbeats during a 1.5 s job (interval 0.1 s)", g_heartbeats);
    expect_reply("queued job, after the running one", "second", "OK", "second", 0);

    /* queued jobs run in arrival order; the queue frees as jobs start */
    const char *s1 = "sleep:300:::s1";
    send_request("s1", "5000", s1, strlen(s1));
    send_request("s2", "5000", "NONE:::s2", 9);
    expect_reply("first of two", "s1", "OK", "s1", 0);
    expect_reply("second of two", "s2", "OK", "s2", 0);

    /* the budget a handler sees is what is left as its job starts: 5000 ms less the ~300 ms it
     * waited behind another job (it used to be the REQUEST's 5000) */
    send_request("w", "5000", s1, strlen(s1));
    send_request("b2", "5000", budget, strlen(budget));
    expect_reply("before the budget", "w", "OK", "s1", 0);
    CHECK(broker_recv(&m, 5000, 0) == 0 && m.n == 6 && FRAME_IS(&m, 3, "b2"), "the budget's REPLY");
    long left = atol((const char *)m.f[5]);
    CHECK(left <= 4750 && left >= 3000, "budget after a 300 ms wait: %ld ms", left);
    msg_free(&m);

    /* an unasked DISCONNECT: READY again at once, still with the prefetch frame */
    send_cmd(0x05);
    expect_ready("READY after an unasked DISCONNECT", 1);

    /* SIGTERM with one job running and one queued: DISCONNECT; a REQUEST that arrives before
     * the broker's answer is still run; every job is answered, in order; then exit 0 */
    const char *job = "sleep:500:::last";
    const char *queued = "sleep:300:::queued";
    send_request("last", "5000", job, strlen(job));
    send_request("queued", "5000", queued, strlen(queued));
    sleep_ms(100);
    pthread_kill(w.thread, SIGTERM);
    CHECK(broker_recv(&m, 2000, 0) == 0 && cmd_of(&m) == 0x05, "DISCONNECT after SIGTERM");
    msg_free(&m);
    expect_reply("running job finished while leaving", "last", "OK", "last", 0);
    send_request("late", "5000", "NONE:::late", 11);   /* sent before the broker's answer */
    send_cmd(0x05);   /* the broker's answer */
    expect_reply("queued job run while leaving", "queued", "OK", "queued", 0);
    expect_reply("job received before the answer", "late", "OK", "late", 0);
    expect_exit(&w, PH_EXIT_OK, "SIGTERM");
}

/* prefetch 0: READY says 0, and a REQUEST while the handler runs is answered "busy". */
static void scenario_no_prefetch(void)
{
    worker_t w;
    default_opts(&w);
    w.opts.prefetch = 0;
    start_worker(&w);
    const char *slow = "sleep:300:::slow";
    send_request("slow", "5000", slow, strlen(slow));
    send_request("second", "5000", "NONE:::x", 8);
    expect_reply("busy without prefetch", "second", "ERROR", "worker busy: capacity 1, prefetch 0", 0);
    expect_reply("slow", "slow", "OK", "slow", 0);
    pthread_kill(w.thread, SIGTERM);
    msg_t m;
    CHECK(broker_recv(&m, 2000, 0) == 0 && cmd_of(&m) == 0x05, "DISCONNECT after SIGTERM");
    msg_free(&m);
    send_cmd(0x05);
    expect_exit(&w, PH_EXIT_OK, "SIGTERM, prefetch 0");
}

/* The timeout counts from when a job starts: two 0.4 s jobs, the second queued behind the
 * first, both finish under a 0.7 s timeout although the second ends 0.8 s after it arrived. */
static void scenario_timeout_from_start(void)
{
    worker_t w;
    default_opts(&w);
    w.opts.timeout_s = 0.7;
    start_worker(&w);
    const char *a = "sleep:400:::a";
    const char *b = "sleep:400:::b";
    send_request("a", "5000", a, strlen(a));
    send_request("b", "5000", b, strlen(b));
    expect_reply("first", "a", "OK", "a", 0);
    expect_reply("queued, not timed out", "b", "OK", "b", 0);
    CHECK(!atomic_load(&w.done), "worker still running");
    pthread_kill(w.thread, SIGTERM);
    msg_t m;
    CHECK(broker_recv(&m, 2000, 0) == 0 && cmd_of(&m) == 0x05, "DISCONNECT after SIGTERM");
    msg_free(&m);
    send_cmd(0x05);
    expect_exit(&w, PH_EXIT_OK, "SIGTERM after queued jobs");
}

static void scenario_max_age(void)
{
    worker_t w;
    default_opts(&w);
    w.opts.max_age_s = 0.3;
    w.opts.max_age_delta_s = 0.2;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    start_worker(&w);
    msg_t m;
    CHECK(broker_recv(&m, 3000, 0) == 0 && cmd_of(&m) == 0x05, "DISCONNECT at max age");
    msg_free(&m);
    double t = since(&t0);
    CHECK(t >= 0.29 && t < 1.5, "max age 0.3+0.2 left after %.2fs", t);
    send_cmd(0x05);
    expect_exit(&w, PH_EXIT_OK, "max age");
}

static void scenario_no_answer(void)
{
    worker_t w;
    default_opts(&w);
    start_worker(&w);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_kill(w.thread, SIGINT);
    msg_t m;
    CHECK(broker_recv(&m, 2000, 0) == 0 && cmd_of(&m) == 0x05, "DISCONNECT after SIGINT");
    msg_free(&m);
    expect_exit(&w, PH_EXIT_OK, "leave without an answer");
    double t = since(&t0);
    CHECK(t >= 4.9 && t < 7.5, "waited %.2fs for the answer (bound 5 s)", t);
}

static void scenario_timeout(void)
{
    worker_t w;
    default_opts(&w);
    w.opts.timeout_s = 0.3;
    start_worker(&w);
    const char *job = "sleep:1000:::late";
    send_request("t1", "5000", job, strlen(job));
    send_request("t2", "5000", "NONE:::never", 12);
    expect_reply("timeout", "t1", "ERROR", "job timed out after 0.3s", 0);
    expect_reply("queued job not run", "t2", "ERROR", "job not run: the worker is exiting after a job timed out", 0);
    expect_exit(&w, PH_EXIT_FAILED, "timeout");
    msg_t m;
    CHECK(broker_recv(&m, 1200, 0) == -1, "no REPLY from the abandoned job");
    msg_free(&m);
}

static void scenario_bad_endpoint(void)
{
    worker_t w;
    default_opts(&w);
    w.opts.backend = "nonsense://x";
    w.rc = ph_worker_run(&w.opts, handler, NULL);
    CHECK(w.rc == PH_EXIT_CONFIG, "bad endpoint: exit code %d", w.rc);
}

static void scenario_beat_lost(void)
{
    worker_t w;
    default_opts(&w);
    w.opts.ping_delay_s = 0.1;
    w.opts.ping_retries = 3;
    start_worker(&w);
    for (int i = 0; i < 16; i++) {     /* 0.8 s of beats every 50 ms: alive */
        zmq_send(g_pub, "BEAT", 4, 0);
        sleep_ms(50);
    }
    CHECK(!atomic_load(&w.done), "worker exited while beats were coming");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_exit(&w, PH_EXIT_OK, "beat lost");
    double t = since(&t0);
    CHECK(t >= 0.2 && t < 1.0, "beat loss noticed after %.2fs (limit 0.3 s)", t);
}

int main(void)
{
    char dir[] = "/tmp/ph-test-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(g_back, sizeof g_back, "ipc://%s/back.ipc", dir);
    snprintf(g_beat, sizeof g_beat, "ipc://%s/beat.ipc", dir);
    g_ctx = zmq_ctx_new();
    g_router = zmq_socket(g_ctx, ZMQ_ROUTER);
    g_pub = zmq_socket(g_ctx, ZMQ_PUB);
    int zero = 0;
    zmq_setsockopt(g_router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(g_pub, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(g_router, g_back) != 0 || zmq_bind(g_pub, g_beat) != 0) {
        fprintf(stderr, "bind failed: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    scenario_main();
    scenario_no_prefetch();
    scenario_timeout_from_start();
    scenario_max_age();
    scenario_timeout();
    scenario_beat_lost();
    scenario_bad_endpoint();
    scenario_no_answer();
    zmq_close(g_router);
    zmq_close(g_pub);
    zmq_ctx_term(g_ctx);
    char path[400];
    snprintf(path, sizeof path, "%s/back.ipc", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/beat.ipc", dir);
    unlink(path);
    rmdir(dir);
    return check_summary("test-worker");
}
