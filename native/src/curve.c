/* CURVE for the C worker: see curve.h. */
#define _POSIX_C_SOURCE 200809L
#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_FILE_BYTES (64 * 1024)
#define HANDSHAKE_IVL_MS 5000
#define MAX_REMEMBERED 4

struct ph_curve {
    void *pair;                    /* the monitor's PAIR: the thread's, once started */
    pthread_t thread;
    int started;
    int curve;                     /* CURVE is on */
    char server_key[PH_CURVE_KEY_Z85 + 1];
    char public_key[PH_CURVE_KEY_Z85 + 1];
    const char *name;
    char backend[256];
    char logged[MAX_REMEMBERED][96]; /* the failures logged already: each one once */
    int logged_count;
    long failures;
};

static void say(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *name, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s[%ld]: %s\n", name ? name : "powerhose-worker", (long)getpid(), line);
}

/* ---------------------------------------------------------------- key files */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_z85_key(const char *text)
{
    uint8_t bytes[32];
    return strlen(text) == PH_CURVE_KEY_Z85 && zmq_z85_decode(bytes, text) != NULL;
}

/* Reads one file: its bytes (NUL-terminated, malloc'd) and whether others may read it. */
static char *read_file(const char *path, int *open_to_others, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fail(err, errlen, "%s: %s", path, errno == ENOENT ? "no such key file" : strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fail(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    *open_to_others = (st.st_mode & 077) != 0;
    char *text = malloc(MAX_FILE_BYTES + 2);
    if (text == NULL) {
        fail(err, errlen, "%s: out of memory", path);
        close(fd);
        return NULL;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, text + len, MAX_FILE_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            free(text);
            close(fd);
            return NULL;
        }
        if (n == 0 || (len += (size_t)n) > MAX_FILE_BYTES)
            break;
    }
    close(fd);
    if (len > MAX_FILE_BYTES) {
        fail(err, errlen, "%s: larger than %d bytes, not a CURVE certificate", path, MAX_FILE_BYTES);
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* Parses czmq's format (ZPL): the public-key and secret-key of the "curve" section, quoted or not. */
static int parse(const char *path, char *text, char *public_key, char *secret_key, char *err, size_t errlen)
{
    int in_curve = 0, number = 0;
    public_key[0] = secret_key[0] = '\0';
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        number++;
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)line[i];
            if (c != '\t' && (c < 0x20 || c > 0x7e))
                return fail(err, errlen, "%s: line %d holds a byte that is not printable ASCII (%u): not a "
                            "CURVE certificate", path, number, c);
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        int child = p != line;
        char *eq = strchr(p, '=');
        char *end = eq ? eq : p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        size_t name_len = (size_t)(end - p);
        if (!child) {
            in_curve = name_len == 5 && strncmp(p, "curve", 5) == 0;
            continue;
        }
        if (!in_curve || eq == NULL)
            continue;
        int is_public = name_len == 10 && strncmp(p, "public-key", 10) == 0;
        int is_secret = name_len == 10 && strncmp(p, "secret-key", 10) == 0;
        if (!is_public && !is_secret)
            continue;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vlen = strlen(v);
        while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
            v++;
            vlen -= 2;
        }
        char *target = is_public ? public_key : secret_key;
        if (target[0] != '\0')
            return fail(err, errlen, "%s: line %d: a second %s", path, number, is_public ? "public-key" : "secret-key");
        if (vlen != PH_CURVE_KEY_Z85)
            return fail(err, errlen, "%s: line %d: %s is %zu characters, not the 40 of a Z85 key", path, number,
                        is_public ? "public-key" : "secret-key", vlen);
        memcpy(target, v, vlen);
        target[vlen] = '\0';
        if (!is_z85_key(target))
            return fail(err, errlen, "%s: line %d: %s is not Z85 text", path, number,
                        is_public ? "public-key" : "secret-key");
    }
    if (public_key[0] == '\0')
        return fail(err, errlen, "%s: no public-key in a curve section: not a CURVE certificate (czmq's format, as "
                    "powerhose-keygen, zmq.auth.create_certificates and zcert_save write it)", path);
    return 0;
}

static int load_one(const char *path, char *public_key, char *secret_key, char *err, size_t errlen)
{
    int open_to_others = 0;
    char *text = read_file(path, &open_to_others, err, errlen);
    if (text == NULL)
        return -1;
    int rc = parse(path, text, public_key, secret_key, err, errlen);
    free(text);
    if (rc != 0 || secret_key[0] == '\0')
        return rc;
    if (open_to_others)
        return fail(err, errlen, "%s: a secret key file must be readable by its owner only, and this one is open to "
                    "others: run chmod 600 %s", path, path);
    char derived[PH_CURVE_KEY_Z85 + 1];
    if (zmq_curve_public(derived, secret_key) != 0)
        return fail(err, errlen, "%s: zmq_curve_public: %s (libzmq without CURVE?)", path, zmq_strerror(errno));
    if (strcmp(derived, public_key) != 0)
        return fail(err, errlen, "%s: its public-key is not the public key of its secret-key", path);
    return 0;
}

int ph_curve_load(const char *path, int need_secret, char public_key[PH_CURVE_KEY_Z85 + 1],
                  char secret_key[PH_CURVE_KEY_Z85 + 1], char *err, size_t errlen)
{
    if (load_one(path, public_key, secret_key, err, errlen) != 0)
        return -1;
    if (!need_secret || secret_key[0] != '\0')
        return 0;
    char next[4096];
    if (snprintf(next, sizeof next, "%s_secret", path) >= (int)sizeof next)
        return fail(err, errlen, "%s: path too long", path);
    char pair_public[PH_CURVE_KEY_Z85 + 1];
    if (access(next, F_OK) != 0)
        return fail(err, errlen, "%s holds a public key only, and %s is not there: give the NAME.key_secret file "
                    "that powerhose-keygen (or zmq.auth, or czmq) wrote", path, next);
    if (load_one(next, pair_public, secret_key, err, errlen) != 0)
        return -1;
    if (secret_key[0] == '\0')
        return fail(err, errlen, "%s holds no secret-key", next);
    if (strcmp(pair_public, public_key) != 0)
        return fail(err, errlen, "%s does not belong to %s: their public keys differ", next, path);
    return 0;
}

/* ---------------------------------------------------------------- sockets */

static int set_key(void *sock, int option, const char *z85, const char *what, char *err, size_t errlen)
{
    if (zmq_setsockopt(sock, option, z85, PH_CURVE_KEY_Z85 + 1) != 0)
        return fail(err, errlen, "cannot set %s: %s", what, zmq_strerror(errno));
    return 0;
}

static int secure(void *sock, const ph_curve_t *c, const char *own_public, const char *own_secret, char *err,
                  size_t errlen)
{
    char public_key[PH_CURVE_KEY_Z85 + 1], secret_key[PH_CURVE_KEY_Z85 + 1];
    if (own_public == NULL) {
        if (zmq_curve_keypair(public_key, secret_key) != 0)
            return fail(err, errlen, "zmq_curve_keypair: %s (libzmq without CURVE?)", zmq_strerror(errno));
        own_public = public_key;
        own_secret = secret_key;
    }
    int ivl = HANDSHAKE_IVL_MS;
    int rc = set_key(sock, ZMQ_CURVE_SERVERKEY, c->server_key, "the server key", err, errlen);
    if (rc == 0)
        rc = set_key(sock, ZMQ_CURVE_PUBLICKEY, own_public, "the public key", err, errlen);
    if (rc == 0)
        rc = set_key(sock, ZMQ_CURVE_SECRETKEY, own_secret, "the secret key", err, errlen);
    if (rc == 0 && zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl) != 0)
        rc = fail(err, errlen, "cannot set ZMQ_HANDSHAKE_IVL: %s", zmq_strerror(errno));
    memset(secret_key, 0, sizeof secret_key);
    return rc;
}

/* ---------------------------------------------------------------- the monitor thread */

static void explain(const ph_curve_t *c, unsigned event, uint32_t value, char *out, size_t outlen)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        snprintf(out, outlen, c->curve
                 ? "the broker at %s does not use CURVE and this worker does (--curve-server-key): give the broker "
                   "its key (--curve-secret-key), or drop the CURVE options here"
                 : "the broker at %s requires CURVE and this worker does not use it: give it the broker's public "
                   "key (--curve-server-key) and its own key pair (--curve-key)", c->backend);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(out, outlen, value == 400
                 ? "the broker at %s refused this worker's key (public key %s): it is not in the broker's "
                   "--allow-workers directory (a client's key cannot register as a worker)"
                 : "the broker at %s did not admit this worker (public key %s)", c->backend,
                 c->public_key[0] ? c->public_key : "made per connection");
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
        if (c->curve)
            snprintf(out, outlen, "the broker at %s closed the connection during the CURVE handshake: the server "
                     "key %s is most likely not the broker's public key (--curve-server-key), or the broker does "
                     "not use CURVE", c->backend, c->server_key);
        else
            snprintf(out, outlen, "the broker at %s closed the connection during the handshake: it most likely "
                     "requires CURVE; give this worker the broker's public key (--curve-server-key) and its own key "
                     "pair (--curve-key)", c->backend);
    } else {
        snprintf(out, outlen, "the handshake with %s failed (libzmq event 0x%x, value 0x%x)", c->backend, event,
                 (unsigned)value);
    }
}

static int is_power_of_ten(long n)
{
    while (n >= 10 && n % 10 == 0)
        n /= 10;
    return n == 1;
}

static void on_event(ph_curve_t *c, unsigned event, uint32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (c->failures > 0)
            say(c->name, "handshake with %s succeeded after %ld failure(s)", c->backend, c->failures);
        c->failures = 0;
        c->logged_count = 0;
        return;
    }
    if (event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
        && event != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return;
    c->failures++;
    /* One hang-up may be a broker restarting: say it from the second in a row. */
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && c->failures < 2)
        return;
    char text[768];
    explain(c, event, value, text, sizeof text);
    char key[96];
    snprintf(key, sizeof key, "%x:%x", event, (unsigned)value);
    for (int i = 0; i < c->logged_count; i++) {
        if (strcmp(c->logged[i], key) == 0) {
            if (is_power_of_ten(c->failures))
                say(c->name, "handshake with %s still fails (%ld times in a row): %s", c->backend, c->failures, text);
            return;
        }
    }
    if (c->logged_count < MAX_REMEMBERED)
        snprintf(c->logged[c->logged_count++], sizeof c->logged[0], "%s", key);
    say(c->name, "%s%s", text, event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ? ""
        : " (libzmq does not connect again after a refused handshake: the worker leaves once the broker's beat "
          "has been missing for ping-retries x ping-delay, and its supervisor starts it again)");
}

static void *monitor_thread(void *arg)
{
    ph_curve_t *c = arg;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, c->pair, 0) < 0) {
            zmq_msg_close(&msg);
            if (errno == EINTR)
                continue;
            break;  /* ETERM: the context is ending */
        }
        unsigned event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&msg) >= 6) {
            const uint8_t *d = zmq_msg_data(&msg);
            event = (unsigned)(d[0] | d[1] << 8);
            value = (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[5] << 24;
        }
        int more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
        while (more) {  /* the endpoint frame */
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, c->pair, 0) < 0) {
                zmq_msg_close(&msg);
                if (errno == EINTR)
                    continue;
                more = 0;
                break;
            }
            more = zmq_msg_more(&msg);
            zmq_msg_close(&msg);
        }
        if (event == ZMQ_EVENT_MONITOR_STOPPED)
            break;
        on_event(c, event, value);
    }
    zmq_close(c->pair);
    return NULL;
}

int ph_curve_setup(void *ctx, void *dealer, void *sub, const char *backend, const char *server_key_file,
                   const char *key_file, const char *name, ph_curve_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (key_file != NULL && server_key_file == NULL)
        return fail(err, errlen, "--curve-key %s needs --curve-server-key (the broker's public key)", key_file);
    ph_curve_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return fail(err, errlen, "out of memory");
    c->name = name;
    snprintf(c->backend, sizeof c->backend, "%s", backend);
    if (server_key_file != NULL) {
        char unused[PH_CURVE_KEY_Z85 + 1] = "", own_secret[PH_CURVE_KEY_Z85 + 1] = "";
        c->curve = 1;
        int rc = ph_curve_load(server_key_file, 0, c->server_key, unused, err, errlen);
        if (rc == 0 && key_file != NULL)
            rc = ph_curve_load(key_file, 1, c->public_key, own_secret, err, errlen);
        const char *pub = key_file != NULL ? c->public_key : NULL;
        if (rc == 0)
            rc = secure(dealer, c, pub, own_secret, err, errlen);
        if (rc == 0)
            rc = secure(sub, c, pub, own_secret, err, errlen);
        memset(unused, 0, sizeof unused);
        memset(own_secret, 0, sizeof own_secret);
        if (rc != 0) {
            free(c);
            return -1;
        }
    }
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://powerhose-worker-monitor-%p", (void *)c);
    c->pair = zmq_socket(ctx, ZMQ_PAIR);
    if (c->pair == NULL
        || zmq_socket_monitor(dealer, endpoint, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                              | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0
        || zmq_connect(c->pair, endpoint) != 0) {
        /* Not fatal: the worker runs, only without the handshake messages. */
        say(name, "cannot monitor the connection to %s (%s): a failed handshake will not be explained", backend,
            zmq_strerror(errno));
        if (c->pair != NULL)
            zmq_close(c->pair);
        c->pair = NULL;
        *out = c;
        return 0;
    }
    /* The thread must not take SIGTERM/SIGINT: the worker's handler runs on the caller's thread. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    c->started = pthread_create(&c->thread, NULL, monitor_thread, c) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!c->started) {
        zmq_close(c->pair);
        c->pair = NULL;
    }
    *out = c;
    return 0;
}

void ph_curve_free(ph_curve_t *c)
{
    if (c == NULL)
        return;
    if (c->started)
        pthread_join(c->thread, NULL);
    free(c);
}
