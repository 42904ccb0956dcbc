/* The worker side of docs/PROTOCOL.md on libzmq: see powerhose/worker.h.
 *
 * Threads and sockets (the design of the Java worker, docs/THREADING.md):
 *   the socket thread, the caller of ph_worker_run: owns the DEALER -> backend, the SUB ->
 *     heartbeat and the timers for the whole run, and never runs a handler. It registers,
 *     heartbeats, accepts REQUESTs (up to 1 + opts->prefetch, READY's 6th frame, else "worker
 *     busy"), hands them to the job thread, sends their answers, answers a job that passes the
 *     timeout, reads the beat, and takes SIGTERM/SIGINT (the handler wakes its poll through a
 *     pipe).
 *   the job thread: runs the handler, one job at a time, and owns no socket. It takes jobs from
 *     a list and hands them back on another (both under one mutex, never held around a libzmq
 *     call or a handler), writing the same pipe to wake the socket thread. SIGTERM/SIGINT are
 *     blocked on it, so a handler never sees them.
 * The run state is reference-counted: a job thread abandoned in a handler (timeout, beat lost,
 * second signal) frees it when the handler returns, if the socket thread has gone.
 */
#define _POSIX_C_SOURCE 200809L
#include "powerhose/worker.h"
#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define VERSION "PHW1"
#define CMD_READY 0x01
#define CMD_REQUEST 0x02
#define CMD_REPLY 0x03
#define CMD_HEARTBEAT 0x04
#define CMD_DISCONNECT 0x05
#define LEAVE_WAIT_S 5.0
#define PARENT_GONE_WAIT_S 1.0
#define CHECK_S 0.1
#define MAX_FRAMES 8

/* ---------------------------------------------------------------- helpers */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void vlog_line(const char *name, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "%s[%ld]: %s\n", name ? name : "powerhose-worker", (long)getpid(), line);
}

static void log_line(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(name, fmt, ap);
    va_end(ap);
}

/* On a tcp endpoint, notice a broker gone silent (a cut link, a dead host: no FIN, no RST) within 4 s and
 * connect again within about a second of it being reachable: a ZMTP PING every second keeps bytes in flight,
 * the kernel closes a connection whose bytes stay unacknowledged 3 s (TCP_USER_TIMEOUT), no ZMTP timeout (it
 * would count whole messages, so a large one on a slow link would close a healthy connection), and an
 * unanswered connect is retried after 1 s. The same values as the Java side's TcpLiveness
 * (docs/PROTOCOL.md, "Links between hosts"). Before zmq_connect: libzmq copies options then. */
static int watch_link(void *socket, const char *endpoint)
{
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return 0;
    const int ping_ms = 1000, none = 0, unacknowledged_ms = 3000, connect_ms = 1000;
    return zmq_setsockopt(socket, ZMQ_HEARTBEAT_IVL, &ping_ms, sizeof ping_ms)
        | zmq_setsockopt(socket, ZMQ_HEARTBEAT_TIMEOUT, &none, sizeof none)
        | zmq_setsockopt(socket, ZMQ_HEARTBEAT_TTL, &none, sizeof none)
        | zmq_setsockopt(socket, ZMQ_TCP_MAXRT, &unacknowledged_ms, sizeof unacknowledged_ms)
        | zmq_setsockopt(socket, ZMQ_CONNECT_TIMEOUT, &connect_ms, sizeof connect_ms);
}

/* ---------------------------------------------------------------- options */

void ph_worker_options_init(ph_worker_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->name = "powerhose-worker";
    o->backend = PH_DEFAULT_BACKEND;
    o->heartbeat = PH_DEFAULT_BEAT;
    o->timeout_s = PH_DEFAULT_RUN_LIMIT_S;
    o->max_age_s = -1;
    o->max_age_delta_s = 0;
    o->ping_delay_s = PH_DEFAULT_PING_DELAY_S;
    o->ping_retries = PH_DEFAULT_PING_RETRIES;
    o->heartbeat_interval_s = PH_DEFAULT_HEARTBEAT_INTERVAL_S;
    o->max_job_bytes = PH_MAX_JOB_BYTES;
    o->params = NULL;
    o->debug = 0;
    o->label = "c";
    o->prefetch = PH_DEFAULT_PREFETCH;
}

static void usage(FILE *f, const char *name)
{
    fprintf(f,
            "usage: %s [options]\n"
            "  --backend ENDPOINT     broker backend (default %s)\n"
            "  --heartbeat ENDPOINT   the broker's beat (default %s)\n"
            "  --timeout SECONDS      job run limit: longest a job may run; then the worker exits (default %g)\n"
            "  --max-age SECONDS      leave gracefully after this long; <= 0 never (default -1)\n"
            "  --max-age-delta SECS   add random(0, SECS) to --max-age (default 0)\n"
            "  --params \"k:v|k2:v2\"   parameters for the job handler\n"
            "  --ping-delay SECONDS   beat check period (default %g)\n"
            "  --ping-retries N       beat checks without a beat before leaving (default %d)\n"
            "  --heartbeat-interval SECONDS  time between two heartbeats (default %g)\n"
            "  --prefetch N           jobs queued beyond the running one, 0 to %d (default %d)\n"
            "  --parent-pid PID       leave when this process ends (default: $POWERHOSE_PARENT_PID)\n"
            "  --curve-server-key FILE  the broker's public key (NAME.key): CURVE on\n"
            "  --curve-key FILE       this worker's key pair (NAME.key_secret, mode 0600)\n"
            "  --debug                log every message\n"
            "  --help                 print this and exit\n",
            name, PH_DEFAULT_BACKEND, PH_DEFAULT_BEAT, PH_DEFAULT_RUN_LIMIT_S, PH_DEFAULT_PING_DELAY_S,
            PH_DEFAULT_PING_RETRIES, PH_DEFAULT_HEARTBEAT_INTERVAL_S, PH_MAX_PREFETCH, PH_DEFAULT_PREFETCH);
}

static int parse_double(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int ph_worker_parse_args(int argc, char **argv, ph_worker_options_t *o)
{
    ph_worker_options_init(o);
    if (argc > 0 && argv[0] != NULL) {
        const char *slash = strrchr(argv[0], '/');
        o->name = slash ? slash + 1 : argv[0];
    }
    static const char *const with_value[] = {"--backend", "--heartbeat", "--timeout", "--max-age",
                                             "--max-age-delta", "--params", "--ping-delay",
                                             "--ping-retries", "--heartbeat-interval", "--prefetch",
                                             "--parent-pid", "--curve-server-key", "--curve-key"};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout, o->name);
            return PH_EXIT_OK;
        }
        if (strcmp(arg, "--debug") == 0) {
            o->debug = 1;
            continue;
        }
        const char *opt = NULL, *value = NULL;
        size_t optlen = strcspn(arg, "=");
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
            if (strlen(with_value[k]) == optlen && strncmp(arg, with_value[k], optlen) == 0) {
                opt = with_value[k];
                break;
            }
        }
        if (opt == NULL) {
            log_line(o->name, "%s option: %s (try --help)",
                     arg[0] == '-' ? "unknown" : "unexpected argument, not an", arg);
            return PH_EXIT_USAGE;
        }
        if (arg[optlen] == '=') {
            value = arg + optlen + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            log_line(o->name, "option %s needs a value", opt);
            return PH_EXIT_USAGE;
        }
        double d = 0;
        if (strcmp(opt, "--backend") == 0) {
            o->backend = value;
        } else if (strcmp(opt, "--heartbeat") == 0) {
            o->heartbeat = value;
        } else if (strcmp(opt, "--curve-server-key") == 0) {
            o->curve_server_key = value;
        } else if (strcmp(opt, "--curve-key") == 0) {
            o->curve_key = value;
        } else if (strcmp(opt, "--params") == 0) {
            ph_params_t p;
            char err[256];
            if (ph_params_parse(value, &p, err, sizeof err) != 0) {
                log_line(o->name, "--params: %s", err);
                return PH_EXIT_CONFIG;
            }
            ph_params_free(&p);
            o->params = value;
        } else if (parse_double(value, &d) != 0) {
            log_line(o->name, "option %s needs a number, not '%s'", opt, value);
            return PH_EXIT_CONFIG;
        } else if (strcmp(opt, "--timeout") == 0) {
            if (d <= 0) {
                log_line(o->name, "--timeout must be > 0, not '%s'", value);
                return PH_EXIT_CONFIG;
            }
            o->timeout_s = d;
        } else if (strcmp(opt, "--ping-delay") == 0 || strcmp(opt, "--heartbeat-interval") == 0) {
            if (d <= 0) {
                log_line(o->name, "%s must be > 0, not '%s'", opt, value);
                return PH_EXIT_CONFIG;
            }
            *(opt[2] == 'p' ? &o->ping_delay_s : &o->heartbeat_interval_s) = d;
        } else if (strcmp(opt, "--ping-retries") == 0) {
            if (d < 1 || d > 1000000 || d != (int)d) {
                log_line(o->name, "--ping-retries must be a whole number >= 1, not '%s'", value);
                return PH_EXIT_CONFIG;
            }
            o->ping_retries = (int)d;
        } else if (strcmp(opt, "--prefetch") == 0) {
            if (d < 0 || d > PH_MAX_PREFETCH || d != (int)d) {
                log_line(o->name, "--prefetch must be a whole number from 0 to %d, not '%s'",
                         PH_MAX_PREFETCH, value);
                return PH_EXIT_CONFIG;
            }
            o->prefetch = (int)d;
        } else if (strcmp(opt, "--parent-pid") == 0) {
            if (d < 1 || d > 4194304 || d != (long)d) {
                log_line(o->name, "--parent-pid must be a process id, not '%s'", value);
                return PH_EXIT_CONFIG;
            }
            o->parent_pid = (long)d;
        } else if (strcmp(opt, "--max-age") == 0) {
            o->max_age_s = d;
        } else {   /* --max-age-delta */
            if (d < 0) {
                log_line(o->name, "--max-age-delta must be >= 0, not '%s'", value);
                return PH_EXIT_CONFIG;
            }
            o->max_age_delta_s = d;
        }
    }
    return PH_RUN;
}

/* ---------------------------------------------------------------- shared state */

static void free_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Receives one multipart message: up to max frames kept, the rest discarded.
 * Returns the number of frames kept, or -1 (errno set). */
static int recv_multipart(void *sock, zmq_msg_t *frames, int max, int flags, int *total)
{
    int n = 0, all = 0;
    while (1) {
        zmq_msg_t scratch;
        zmq_msg_t *m = n < max ? &frames[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, all == 0 ? flags : 0) < 0) {
            int e = errno;
            zmq_msg_close(m);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&frames[i]);
            errno = e;
            return -1;
        }
        all++;
        int more = zmq_msg_more(m);
        if (m == &scratch)
            zmq_msg_close(m);
        else
            n++;
        if (!more)
            break;
    }
    if (total)
        *total = all;
    return n;
}

static void close_frames(zmq_msg_t *frames, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
}

/* A job from its REQUEST to its REPLY. The socket thread makes it and sends its answer; the
 * job thread runs it. Its messages are data, not sockets: either thread may read them. */
typedef struct job {
    struct job *next;
    zmq_msg_t id;                  /* the job id, sent back in the REPLY */
    zmq_msg_t payload;
    long long budget_ms;           /* the REQUEST's */
    double received;
    int rc;                        /* the handler's return; -1 when the payload did not parse */
    ph_reply_t out;                /* the result or the error text */
} job_t;

typedef struct {
    job_t *head;
    job_t *tail;
    int len;
} job_list_t;

static void list_push(job_list_t *l, job_t *j)
{
    j->next = NULL;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->len++;
}

static job_t *list_pop(job_list_t *l)
{
    job_t *j = l->head;
    if (j) {
        l->head = j->next;
        if (l->head == NULL)
            l->tail = NULL;
        l->len--;
    }
    return j;
}

static void job_free(job_t *j)
{
    zmq_msg_close(&j->id);
    zmq_msg_close(&j->payload);
    free(j->out.data);
    free(j);
}

/* The run state. Two threads share it:
 *   the socket thread (the caller of ph_worker_run) owns the sockets, the wake-up pipe's
 *     read end, and every field marked "socket thread" for the whole run; it never runs a
 *     handler, so a job that runs long never keeps it from heartbeating, reading the beat,
 *     or answering the job's timeout;
 *   the job thread runs handlers, one job at a time. It owns no socket.
 * They meet only in the job lists under `mu` (a lock for two queues, never held around a
 * libzmq call or a handler) and through the wake-up pipe, which the job thread writes when it
 * hands a job back (once per wake: `wake_pending`). The state is reference-counted: a job
 * thread abandoned in a handler (timeout, beat lost, second signal) frees it when the handler
 * returns, if the socket thread has gone. */
typedef struct {
    atomic_int refs;
    pthread_mutex_t mu;            /* guards the fields down to `abandoned` */
    pthread_cond_t cv;             /* a job to run, or stop */
    job_list_t todo;               /* accepted, not started */
    job_list_t done;               /* answered by the job thread, not sent yet */
    job_t *running;                /* the job in the handler, or NULL */
    double running_since;          /* when it started (its timeout counts from here) */
    int stop;                      /* the job thread ends once idle */
    int abandoned;                 /* the socket thread left: the job thread drops its job and ends */
    atomic_int wake_pending;       /* a wake-up byte is in the pipe */
    ph_handler_fn fn;              /* the job thread's: copies, so it never reads the caller's options */
    void *user;
    ph_params_t params;
    char name[64];
    /* socket thread only */
    const ph_worker_options_t *o;
    void *ctx;
    void *dealer;
    void *sub;
    int wake_fd[2];                /* the signal handler and the job thread wake the poll */
    int held;                      /* jobs accepted and not answered: queued, running, or done */
    int leaving;
    int got_answer;
    double leave_at;
    double leave_wait;             /* how long a leave waits for the broker's DISCONNECT answer */
    long parent_pid;               /* the parent watch: leave when it ends (0: none) */
    int parent_is_ppid;            /*   it is our parent: getppid() changes when it ends */
    char label[160];               /* READY's label: "c@host" (language@host, PROTOCOL.md) */
    double last_beat;
    double next_hb;
} run_t;

static void run_release(run_t *r)
{
    if (atomic_fetch_sub(&r->refs, 1) == 1) {
        job_t *j;
        while ((j = list_pop(&r->todo)) != NULL)
            job_free(j);
        while ((j = list_pop(&r->done)) != NULL)
            job_free(j);
        ph_params_free(&r->params);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
    }
}

static volatile sig_atomic_t g_signals;
static volatile int g_wake_fd = -1;

static void on_signal(int sig)
{
    (void)sig;
    g_signals++;
    int fd = g_wake_fd;
    if (fd >= 0) {
        int e = errno;
        ssize_t ignored = write(fd, "s", 1);
        (void)ignored;
        errno = e;
    }
}

#define LOG(r, ...) log_line((r)->name, __VA_ARGS__)
#define DEBUG(r, ...) do { if ((r)->o->debug) log_line((r)->name, __VA_ARGS__); } while (0)

/* ---------------------------------------------------------------- the job thread */

static void run_job(run_t *r, job_t *j, double start)
{
    ph_job_t job;
    char err[256];
    if (ph_job_parse(zmq_msg_data(&j->payload), zmq_msg_size(&j->payload), &job, err, sizeof err) != 0) {
        ph_reply_printf(&j->out, "%s", err);
        j->rc = -1;
        return;
    }
    /* What is left of the caller's wait as the job starts: the budget less the time it waited here. */
    long long waited_ms = (long long)((start - j->received) * 1000.0);
    job.budget_ms = j->budget_ms > waited_ms ? j->budget_ms - waited_ms : 0;
    job.params = &r->params;
    j->rc = r->fn(&job, &j->out, r->user);
    ph_job_free(&job);
}

static void *job_thread(void *arg)
{
    run_t *r = arg;
    pthread_mutex_lock(&r->mu);
    while (1) {
        while (r->todo.head == NULL && !r->stop && !r->abandoned)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->todo.head == NULL || r->abandoned)
            break;
        job_t *j = list_pop(&r->todo);
        double start = now_s();
        r->running = j;
        r->running_since = start;
        pthread_mutex_unlock(&r->mu);
        run_job(r, j, start);
        pthread_mutex_lock(&r->mu);
        r->running = NULL;
        if (r->abandoned) {       /* the socket thread answered it (timeout) or left: drop the result */
            job_free(j);
            break;
        }
        list_push(&r->done, j);
        if (atomic_exchange(&r->wake_pending, 1) == 0) {
            ssize_t ignored = write(r->wake_fd[1], "j", 1);
            (void)ignored;
        }
    }
    pthread_mutex_unlock(&r->mu);
    run_release(r);
    return NULL;
}

/* ---------------------------------------------------------------- the socket thread */

/* Sends n frames (NULL data for empty) as one message; a full queue drops it. */
static int send_frames(run_t *r, const void *const *data, const size_t *len, int n)
{
    for (int i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(r->dealer, data[i], len[i], flags) < 0) {
            LOG(r, "could not send to the broker (%s); message dropped", zmq_strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void send_cmd(run_t *r, unsigned char cmd)
{
    const void *d[] = {VERSION, &cmd};
    size_t l[] = {4, 1};
    send_frames(r, d, l, 2);
}

static void send_ready(run_t *r)
{
    unsigned char cmd = CMD_READY;
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    const char *label = r->label;
    char prefetch[16];
    snprintf(prefetch, sizeof prefetch, "%d", r->o->prefetch);
    const void *d[] = {VERSION, &cmd, pid, "1", label, prefetch};
    size_t l[] = {4, 1, strlen(pid), 1, strlen(label), strlen(prefetch)};
    send_frames(r, d, l, 6);
    DEBUG(r, "sent READY (capacity 1, prefetch %s)", prefetch);
}

static void send_reply(run_t *r, const void *id, size_t idlen, const char *status, const char *text)
{
    unsigned char cmd = CMD_REPLY;
    const void *d[] = {VERSION, &cmd, id, status, text};
    size_t l[] = {4, 1, idlen, strlen(status), strlen(text)};
    send_frames(r, d, l, 5);
    DEBUG(r, "sent REPLY %s: %s", status, text);
}

/* Sends the answer of a job the job thread handed back, and frees it. */
static void send_answer(run_t *r, job_t *j)
{
    const char *status = j->rc == 0 ? "OK" : "ERROR";
    if (j->rc == -1)
        LOG(r, "%.*s; answered ERROR", (int)j->out.len, (const char *)j->out.data);
    else if (j->rc != 0 && j->out.len == 0)
        ph_reply_printf(&j->out, "HandlerError: handler returned %d", j->rc);
    unsigned char cmd = CMD_REPLY;
    zmq_msg_t result;
    if (j->out.len > 0) {
        zmq_msg_init_data(&result, j->out.data, j->out.len, free_buffer, NULL);
        j->out.data = NULL;       /* the message owns it now */
    } else {
        zmq_msg_init(&result);
    }
    if (zmq_send(r->dealer, VERSION, 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        LOG(r, "could not send a REPLY (%s); dropped", zmq_strerror(errno));
        zmq_msg_close(&result);
    } else {
        zmq_send(r->dealer, &cmd, 1, ZMQ_SNDMORE);
        zmq_msg_send(&j->id, r->dealer, ZMQ_SNDMORE);
        zmq_send(r->dealer, status, strlen(status), ZMQ_SNDMORE);
        DEBUG(r, "sent REPLY %s, %zu bytes", status, zmq_msg_size(&result));
        if (zmq_msg_send(&result, r->dealer, 0) < 0)
            zmq_msg_close(&result);
    }
    r->held--;
    job_free(j);
}

/* Sends the answers the job thread handed back. */
static void send_answers(run_t *r)
{
    pthread_mutex_lock(&r->mu);
    job_list_t done = r->done;
    r->done = (job_list_t){NULL, NULL, 0};
    pthread_mutex_unlock(&r->mu);
    job_t *j;
    while ((j = list_pop(&done)) != NULL)
        send_answer(r, j);
}

static int is_decimal(const unsigned char *p, size_t n)
{
    if (n == 0 || n > 18)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Answers ERROR every job the job thread has not started (the worker exits before it could
 * run them), and sends the answers it has handed back. */
static void fail_queued(run_t *r, const char *why)
{
    pthread_mutex_lock(&r->mu);
    job_list_t todo = r->todo;
    r->todo = (job_list_t){NULL, NULL, 0};
    pthread_mutex_unlock(&r->mu);
    send_answers(r);
    if (todo.len > 0)
        LOG(r, "answering %d queued job%s ERROR: %s", todo.len, todo.len == 1 ? "" : "s", why);
    job_t *j;
    while ((j = list_pop(&todo)) != NULL) {
        send_reply(r, zmq_msg_data(&j->id), zmq_msg_size(&j->id), "ERROR", why);
        r->held--;
        job_free(j);
    }
}

static void handle_request(run_t *r, zmq_msg_t *f, int n, int total)
{
    if (n < 3 || zmq_msg_size(&f[2]) == 0 || zmq_msg_size(&f[2]) > 255) {
        LOG(r, "REQUEST without a valid job id (1-255 bytes); dropped");
        return;
    }
    const void *id = zmq_msg_data(&f[2]);
    size_t idlen = zmq_msg_size(&f[2]);
    char text[160];
    if (total != 5) {
        snprintf(text, sizeof text, "malformed request: expected 5 frames, got %d", total);
        LOG(r, "%s", text);
        send_reply(r, id, idlen, "ERROR", text);
        return;
    }
    if (!is_decimal(zmq_msg_data(&f[3]), zmq_msg_size(&f[3]))) {
        snprintf(text, sizeof text, "malformed request: budget is not a decimal number of ms");
        LOG(r, "%s", text);
        send_reply(r, id, idlen, "ERROR", text);
        return;
    }
    size_t size = zmq_msg_size(&f[4]);
    if (size > r->o->max_job_bytes) {
        snprintf(text, sizeof text, "job too large: %zu > %zu bytes", size, r->o->max_job_bytes);
        LOG(r, "%s", text);
        send_reply(r, id, idlen, "ERROR", text);
        return;
    }
    job_t *j;
    if (r->held >= 1 + r->o->prefetch || (j = calloc(1, sizeof *j)) == NULL) {
        snprintf(text, sizeof text, "worker busy: capacity 1, prefetch %d", r->o->prefetch);
        LOG(r, "REQUEST beyond capacity 1 + prefetch %d; answered ERROR", r->o->prefetch);
        send_reply(r, id, idlen, "ERROR", text);
        return;
    }
    char budget[32];
    size_t bl = zmq_msg_size(&f[3]);
    memcpy(budget, zmq_msg_data(&f[3]), bl);
    budget[bl] = '\0';
    j->budget_ms = strtoll(budget, NULL, 10);
    j->received = now_s();
    zmq_msg_init(&j->id);
    zmq_msg_move(&j->id, &f[2]);
    zmq_msg_init(&j->payload);
    zmq_msg_move(&j->payload, &f[4]);
    r->held++;
    pthread_mutex_lock(&r->mu);
    list_push(&r->todo, j);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    DEBUG(r, "REQUEST, %zu bytes: queued (%d held)", size, r->held);
}

static void handle_backend(run_t *r)
{
    while (1) {
        zmq_msg_t f[MAX_FRAMES];
        int total = 0;
        int n = recv_multipart(r->dealer, f, MAX_FRAMES, ZMQ_DONTWAIT, &total);
        if (n < 0)
            return;
        if (n < 2 || zmq_msg_size(&f[0]) != 4 || memcmp(zmq_msg_data(&f[0]), VERSION, 4) != 0) {
            LOG(r, "dropped a message that is not %s (%d frames)", VERSION, total);
        } else if (zmq_msg_size(&f[1]) != 1) {
            LOG(r, "dropped a message with an unknown command (%zu-byte command frame)",
                zmq_msg_size(&f[1]));
        } else {
            unsigned char cmd = *(unsigned char *)zmq_msg_data(&f[1]);
            switch (cmd) {
            case CMD_REQUEST:
                handle_request(r, f, n, total);
                break;
            case CMD_HEARTBEAT:
                break;
            case CMD_DISCONNECT:
                if (r->leaving) {
                    DEBUG(r, "broker answered DISCONNECT");
                    r->got_answer = 1;
                } else {
                    LOG(r, "broker sent DISCONNECT (restarted or forgot us); sending READY again");
                    send_ready(r);
                }
                break;
            default:
                LOG(r, "dropped a message with unknown command 0x%02x", cmd);
                break;
            }
        }
        close_frames(f, n);
    }
}

static void drain_beats(run_t *r, double now)
{
    zmq_msg_t f[1];
    while (recv_multipart(r->sub, f, 1, ZMQ_DONTWAIT, NULL) >= 0) {
        close_frames(f, 1);
        r->last_beat = now;
    }
}

static void heartbeat_if_due(run_t *r, double now)
{
    if (now >= r->next_hb) {
        send_cmd(r, CMD_HEARTBEAT);
        r->next_hb += r->o->heartbeat_interval_s;
        if (r->next_hb <= now)
            r->next_hb = now + r->o->heartbeat_interval_s;
    }
}

/* A first signal: leave gracefully. */
static void leave_on_signal(run_t *r, double now, const char *why)
{
    LOG(r, "%s: leaving (DISCONNECT sent; %d job%s held)", why, r->held, r->held == 1 ? "" : "s");
    send_cmd(r, CMD_DISCONNECT);
    r->leaving = 1;
    r->leave_at = now;
}

/* The parent watch: 1 once the process that started the worker has ended. A parent is noticed
 * through getppid(), which changes when it dies (no pid reuse can fool it); any other process
 * through kill(pid, 0). */
static int parent_gone(const run_t *r)
{
    if (r->parent_pid <= 0)
        return 0;
    if (r->parent_is_ppid)
        return (long)getppid() != r->parent_pid;
    return kill((pid_t)r->parent_pid, 0) != 0 && errno == ESRCH;
}

static void leave_if_parent_gone(run_t *r, double now)
{
    if (r->leaving || !parent_gone(r))
        return;
    char why[96];
    snprintf(why, sizeof why, "the process that started this worker (pid %ld) ended", r->parent_pid);
    leave_on_signal(r, now, why);
    r->leave_wait = PARENT_GONE_WAIT_S;
}

/* The running job, if it has run longer than the timeout: answers it ERROR and returns 1 (the
 * worker then exits: a C thread cannot be stopped, and its handler may hold anything). */
static int answer_timeout(run_t *r, double now)
{
    unsigned char id[255];
    size_t idlen = 0;
    pthread_mutex_lock(&r->mu);
    int late = r->running != NULL && now - r->running_since > r->o->timeout_s;
    if (late) {
        idlen = zmq_msg_size(&r->running->id);
        memcpy(id, zmq_msg_data(&r->running->id), idlen);
        r->abandoned = 1;          /* its result, should it come, is dropped */
    }
    pthread_mutex_unlock(&r->mu);
    if (!late)
        return 0;
    char text[96];
    snprintf(text, sizeof text, "job timed out after %gs", r->o->timeout_s);
    LOG(r, "%s: answered ERROR; exiting with code %d so that a supervisor restarts the worker (the "
           "handler cannot be stopped)", text, PH_EXIT_FAILED);
    send_reply(r, id, idlen, "ERROR", text);
    r->held--;
    fail_queued(r, "job not run: the worker is exiting after a job timed out");
    return 1;
}

static double running_since(run_t *r)
{
    pthread_mutex_lock(&r->mu);
    double since = r->running != NULL ? r->running_since : -1;
    pthread_mutex_unlock(&r->mu);
    return since;
}

static void random_seed(unsigned *seed)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() * 2654435761u;
}

static double random_unit(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (double)((*seed >> 8) & 0xffffff) / (double)0x1000000;
}

/* The socket thread's loop: returns the exit code. */
static int serve(run_t *r)
{
    const ph_worker_options_t *o = r->o;
    double start = now_s();
    double beat_limit = o->ping_retries * o->ping_delay_s;
    double max_age_at = -1;
    if (o->max_age_s > 0) {
        unsigned seed;
        random_seed(&seed);
        max_age_at = start + o->max_age_s + random_unit(&seed) * o->max_age_delta_s;
    }
    double next_check = start;     /* the SUB is read every CHECK_S, not polled (2 syscalls a pass) */
    while (1) {
        double now = now_s();
        if (now >= next_check || now - r->last_beat > beat_limit) {
            drain_beats(r, now);
            leave_if_parent_gone(r, now);
            next_check = now + CHECK_S;
        }
        if (g_signals >= 2 && r->leaving) {
            LOG(r, "second signal: exiting now%s", running_since(r) >= 0 ? ", abandoning the running job" : "");
            fail_queued(r, "job not run: the worker is exiting (second signal)");
            return PH_EXIT_FAILED;
        }
        if (!r->leaving && (g_signals > 0 || (max_age_at > 0 && now >= max_age_at)))
            leave_on_signal(r, now, g_signals > 0 ? "signal received" : "max age reached");
        if (answer_timeout(r, now))
            return PH_EXIT_FAILED;
        if (r->leaving && r->held == 0 && (r->got_answer || now - r->leave_at >= r->leave_wait)) {
            if (!r->got_answer) {
                /* The broker is most likely gone (its supervisor died with it): lingering on close would only
                 * delay the exit by up to 2 s for messages nobody will read. */
                int zero = 0;
                zmq_setsockopt(r->dealer, ZMQ_LINGER, &zero, sizeof zero);
                LOG(r, "no DISCONNECT answer from the broker within %gs", r->leave_wait);
            }
            LOG(r, "left the broker; exiting");
            return PH_EXIT_OK;
        }
        if (now - r->last_beat > beat_limit) {
            LOG(r, "no heartbeat from the broker for %.1fs (%d x %gs): the broker is gone; exiting%s",
                now - r->last_beat, o->ping_retries, o->ping_delay_s,
                running_since(r) >= 0 ? ", abandoning the running job" : "");
            fail_queued(r, "job not run: the worker lost the broker's heartbeat and is exiting");
            return PH_EXIT_OK;
        }
        heartbeat_if_due(r, now);

        double wake = r->next_hb;
        if (next_check < wake) wake = next_check;
        if (r->last_beat + beat_limit < wake) wake = r->last_beat + beat_limit;
        if (!r->leaving && max_age_at > 0 && max_age_at < wake) wake = max_age_at;
        if (r->leaving && r->leave_at + r->leave_wait < wake) wake = r->leave_at + r->leave_wait;
        double since = running_since(r);
        if (since >= 0 && since + o->timeout_s < wake) wake = since + o->timeout_s;
        long timeout_ms = (long)ceil((wake - now) * 1000.0) + 1;
        if (timeout_ms < 0) timeout_ms = 0;

        zmq_pollitem_t items[2] = {{r->dealer, 0, ZMQ_POLLIN, 0}, {NULL, r->wake_fd[0], ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, timeout_ms) < 0) {
            if (errno == EINTR)
                continue;
            LOG(r, "poll failed: %s", zmq_strerror(errno));
            return PH_EXIT_FAILED;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            char drain[64];
            while (read(r->wake_fd[0], drain, sizeof drain) > 0) {
            }
            atomic_store(&r->wake_pending, 0);   /* after the drain: a later hand-back writes again */
        }
        if (items[0].revents & ZMQ_POLLIN)
            handle_backend(r);
        send_answers(r);
    }
}

/* Ends the job thread: joined when idle; left to end by itself (detached) when it is still in a
 * handler the socket thread gave up on. Returns whether it was abandoned. */
static int end_job_thread(run_t *r, pthread_t thread)
{
    pthread_mutex_lock(&r->mu);
    int busy = r->running != NULL;
    r->stop = 1;
    if (busy)
        r->abandoned = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (busy)
        pthread_detach(thread);
    else
        pthread_join(thread, NULL);
    return busy;
}

int ph_worker_run(const ph_worker_options_t *o, ph_handler_fn fn, void *user)
{
    char err[256];
    if (o->prefetch < 0 || o->prefetch > PH_MAX_PREFETCH) {
        log_line(o->name, "prefetch must be 0 to %d, not %d", PH_MAX_PREFETCH, o->prefetch);
        return PH_EXIT_CONFIG;
    }
    run_t *r = calloc(1, sizeof *r);
    if (r == NULL) {
        log_line(o->name, "out of memory");
        return PH_EXIT_FAILED;
    }
    r->o = o;
    snprintf(r->name, sizeof r->name, "%s", o->name ? o->name : "powerhose-worker");
    if (ph_params_parse(o->params, &r->params, err, sizeof err) != 0) {
        LOG(r, "--params: %s", err);
        free(r);
        return PH_EXIT_CONFIG;
    }
    atomic_init(&r->refs, 1);
    atomic_init(&r->wake_pending, 0);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->fn = fn;
    r->user = user;
    r->wake_fd[0] = r->wake_fd[1] = -1;
    r->leave_wait = LEAVE_WAIT_S;
    r->parent_pid = o->parent_pid;
    const char *env_parent = getenv("POWERHOSE_PARENT_PID");
    if (r->parent_pid <= 0 && env_parent != NULL && *env_parent != '\0') {
        char *end;
        long pid = strtol(env_parent, &end, 10);
        if (*end == '\0' && pid > 0)
            r->parent_pid = pid;
        else
            LOG(r, "POWERHOSE_PARENT_PID=%s is not a pid: ignored", env_parent);
    }
    r->parent_is_ppid = r->parent_pid > 0 && (long)getppid() == r->parent_pid;
    const char *language = o->label ? o->label : "c";
    char host[128] = "-";
    if (strchr(language, '@') == NULL && gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        snprintf(r->label, sizeof r->label, "%s@%s", language, host);
    } else {
        snprintf(r->label, sizeof r->label, "%s", language);
    }

    r->ctx = zmq_ctx_new();
    r->dealer = zmq_socket(r->ctx, ZMQ_DEALER);
    r->sub = zmq_socket(r->ctx, ZMQ_SUB);
    int linger = 2000, zero = 0;
    zmq_setsockopt(r->dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(r->sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(r->sub, ZMQ_SUBSCRIBE, "", 0);
    int setup = 0, setup_rc = PH_EXIT_FAILED;
    ph_curve_t *curve = NULL;
    char curve_err[1024];
    if (ph_curve_setup(r->ctx, r->dealer, r->sub, o->backend, o->curve_server_key, o->curve_key, o->name, &curve,
                       curve_err, sizeof curve_err) != 0) {
        LOG(r, "%s", curve_err);
        setup = -1;
        setup_rc = PH_EXIT_CONFIG;
    } else if (watch_link(r->dealer, o->backend) != 0 || watch_link(r->sub, o->heartbeat) != 0) {
        LOG(r, "cannot set the tcp link options: %s", zmq_strerror(errno));
        setup = -1;
    } else if (zmq_connect(r->dealer, o->backend) != 0) {
        LOG(r, "cannot connect to backend %s: %s", o->backend, zmq_strerror(errno));
        setup = -1;
        setup_rc = PH_EXIT_CONFIG;
    } else if (zmq_connect(r->sub, o->heartbeat) != 0) {
        LOG(r, "cannot connect to heartbeat %s: %s", o->heartbeat, zmq_strerror(errno));
        setup = -1;
        setup_rc = PH_EXIT_CONFIG;
    } else if (pipe(r->wake_fd) != 0 || fcntl(r->wake_fd[0], F_SETFL, O_NONBLOCK) != 0
               || fcntl(r->wake_fd[1], F_SETFL, O_NONBLOCK) != 0) {
        LOG(r, "cannot make the wake-up pipe: %s", strerror(errno));
        setup = -1;
    }

    struct sigaction sa, old_term, old_int;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_signals = 0;
    g_wake_fd = r->wake_fd[1];
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);

    double start = now_s();
    r->last_beat = start;
    r->next_hb = start;           /* first HEARTBEAT right after READY */
    pthread_t thread;
    if (setup == 0) {
        /* The job thread, which runs the handler, must not take SIGTERM/SIGINT: they are for this one. */
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        atomic_fetch_add(&r->refs, 1);
        if (pthread_create(&thread, NULL, job_thread, r) != 0) {
            atomic_fetch_sub(&r->refs, 1);
            LOG(r, "cannot start the job thread");
            setup = -1;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    int rc = setup_rc;
    if (setup == 0) {
        LOG(r, "connected to %s (heartbeat %s), timeout %gs, prefetch %d", o->backend, o->heartbeat,
            o->timeout_s, o->prefetch);
        send_ready(r);
        rc = serve(r);
        fail_queued(r, "job not run: the worker is exiting");   /* none left on the paths that answer them */
        end_job_thread(r, thread);
        send_answers(r);                                       /* one the job thread finished meanwhile */
    }

    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    g_wake_fd = -1;
    zmq_close(r->sub);
    zmq_close(r->dealer);       /* lingers up to 2 s to deliver the last REPLY/DISCONNECT */
    zmq_ctx_term(r->ctx);       /* the job thread owns no socket: an abandoned one never holds this up */
    ph_curve_free(curve);       /* after the term, which ends its monitor thread */
    pthread_mutex_lock(&r->mu);
    if (r->wake_fd[0] >= 0) {   /* under the lock: an abandoned job thread writes only while it holds it */
        close(r->wake_fd[0]);
        close(r->wake_fd[1]);
        r->wake_fd[0] = r->wake_fd[1] = -1;
    }
    pthread_mutex_unlock(&r->mu);
    run_release(r);
    return rc;
}
