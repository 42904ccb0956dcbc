/* The worker side of docs/PROTOCOL.md on libzmq: see powerhose/worker.h.
 *
 * Threads and sockets:
 *   loop thread (started by ph_worker_run): owns the DEALER -> backend, the SUB -> heartbeat
 *     and the run state through one mutex, which it releases only while a handler runs. It
 *     registers, heartbeats, queues REQUESTs (up to 1 + opts->prefetch, READY's 6th frame)
 *     and runs them one after the other on itself, so a job costs no thread hand-off.
 *   the caller of ph_worker_run: the watchdog. While a job has run for half a period it takes
 *     the mutex and does the loop's housekeeping for it (heartbeat, beats, REQUESTs queued,
 *     READY again, a signal's DISCONNECT); when the job passes the timeout, the beat is lost
 *     or a second signal comes, it answers what it must, abandons the loop thread (still in
 *     the handler) and returns. SIGTERM/SIGINT are blocked on the loop thread, so a handler
 *     never sees them; the signal handler wakes the loop through a pipe.
 * The run state is reference-counted: an abandoned loop thread frees it when its handler
 * returns, if the caller has already gone.
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
#define PH_MAX_PREFETCH 1024

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

/* ---------------------------------------------------------------- options */

void ph_worker_options_init(ph_worker_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->name = "powerhose-worker";
    o->backend = "ipc:///tmp/powerhose-back.ipc";
    o->heartbeat = "ipc:///tmp/powerhose-beat.ipc";
    o->timeout_s = 7.5;
    o->max_age_s = -1;
    o->max_age_delta_s = 0;
    o->ping_delay_s = 10;
    o->ping_retries = 3;
    o->heartbeat_interval_s = 1;
    o->max_job_bytes = 16u * 1024 * 1024;
    o->params = NULL;
    o->debug = 0;
    o->label = "c";
    o->prefetch = 32;
}

static void usage(FILE *f, const char *name)
{
    fprintf(f,
            "usage: %s [options]\n"
            "  --backend ENDPOINT     broker backend (default ipc:///tmp/powerhose-back.ipc)\n"
            "  --heartbeat ENDPOINT   broker heartbeat (default ipc:///tmp/powerhose-beat.ipc)\n"
            "  --timeout SECONDS      longest a job may run; then the worker exits (default 7.5)\n"
            "  --max-age SECONDS      leave gracefully after this long; <= 0 never (default -1)\n"
            "  --max-age-delta SECS   add random(0, SECS) to --max-age (default 0)\n"
            "  --params \"k:v|k2:v2\"   parameters for the job handler\n"
            "  --ping-delay SECONDS   beat check period (default 10)\n"
            "  --ping-retries N       beat checks without a beat before leaving (default 3)\n"
            "  --heartbeat-interval SECONDS  time between two heartbeats (default 1)\n"
            "  --prefetch N           jobs queued beyond the running one, 0 to 1024 (default 32)\n"
            "  --parent-pid PID       leave when this process ends (default: $POWERHOSE_PARENT_PID)\n"
            "  --curve-server-key FILE  the broker's public key (NAME.key): CURVE on\n"
            "  --curve-key FILE       this worker's key pair (NAME.key_secret, mode 0600)\n"
            "  --debug                log every message\n"
            "  --help                 print this and exit\n",
            name);
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

/* A REQUEST accepted and waiting its turn: [job id][budget][payload]. */
typedef struct {
    zmq_msg_t f[3];
} queued_t;

typedef struct {
    atomic_int refs;               /* caller + loop thread; the last one frees */
    pthread_mutex_t mu;            /* owns the sockets and everything below */
    pthread_cond_t cv;             /* the loop ended */
    const ph_worker_options_t *o;  /* the caller's; not touched once abandoned */
    ph_handler_fn fn;
    void *user;
    ph_params_t params;
    void *ctx;
    void *dealer;
    void *sub;
    int wake_fd[2];                /* the signal handler wakes the loop's poll */
    int busy;                      /* a handler runs on the loop thread */
    unsigned char job_id[255];
    size_t job_id_len;
    double job_start;              /* when the running job started (its timeout counts from here) */
    queued_t *queue;               /* FIFO ring, 1 + o->prefetch slots */
    int q_head;
    int q_len;
    int leaving;
    int got_answer;
    double leave_at;
    double leave_wait;             /* how long a leave waits for the broker's DISCONNECT answer */
    long parent_pid;               /* the parent watch: leave when it ends (0: none) */
    int parent_is_ppid;            /*   it is our parent: getppid() changes when it ends */
    char label[160];               /* READY's label: "c@host" (language@host, PROTOCOL.md) */
    double last_beat;
    double next_hb;
    int loop_done;                 /* the loop thread ended, with loop_rc */
    int loop_rc;
    int abandoned;                 /* the caller left while a handler ran */
} run_t;

static void run_release(run_t *r)
{
    if (atomic_fetch_sub(&r->refs, 1) == 1) {
        ph_params_free(&r->params);
        free(r->queue);
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

#define LOG(r, ...) log_line((r)->o->name, __VA_ARGS__)
#define DEBUG(r, ...) do { if ((r)->o->debug) log_line((r)->o->name, __VA_ARGS__); } while (0)

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

static int is_decimal(const unsigned char *p, size_t n)
{
    if (n == 0 || n > 18)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Answers every queued job ERROR (the worker is exiting before it could run them). */
static void fail_queued(run_t *r, const char *why)
{
    if (r->q_len > 0)
        LOG(r, "answering %d queued job%s ERROR: %s", r->q_len, r->q_len == 1 ? "" : "s", why);
    while (r->q_len > 0) {
        queued_t *q = &r->queue[r->q_head];
        r->q_head = (r->q_head + 1) % (r->o->prefetch + 1);
        r->q_len--;
        send_reply(r, zmq_msg_data(&q->f[0]), zmq_msg_size(&q->f[0]), "ERROR", why);
        close_frames(q->f, 3);
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
    if (r->busy + r->q_len < 1 + r->o->prefetch) {
        queued_t *q = &r->queue[(r->q_head + r->q_len) % (r->o->prefetch + 1)];
        for (int i = 0; i < 3; i++) {
            zmq_msg_init(&q->f[i]);
            zmq_msg_move(&q->f[i], &f[2 + i]);
        }
        r->q_len++;
        DEBUG(r, "REQUEST, %zu bytes: queued (%d waiting)", size, r->q_len);
        return;
    }
    snprintf(text, sizeof text, "worker busy: capacity 1, prefetch %d", r->o->prefetch);
    LOG(r, "REQUEST beyond capacity 1 + prefetch %d; answered ERROR", r->o->prefetch);
    send_reply(r, id, idlen, "ERROR", text);
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
    LOG(r, "%s: leaving (DISCONNECT sent; %s, %d queued)", why,
        r->busy ? "finishing the current job" : "idle", r->q_len);
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

/* Runs the oldest queued job on this thread, with the mutex released while the handler runs.
 * Returns 0, or -1 when the caller abandoned this thread meanwhile (the mutex is then released
 * and r must not be used but to release it). */
static int run_next(run_t *r)
{
    queued_t q;                   /* moved out of the ring (a zmq_msg_t must not be copied) */
    for (int i = 0; i < 3; i++) {
        zmq_msg_init(&q.f[i]);
        zmq_msg_move(&q.f[i], &r->queue[r->q_head].f[i]);
    }
    r->q_head = (r->q_head + 1) % (r->o->prefetch + 1);
    r->q_len--;
    memcpy(r->job_id, zmq_msg_data(&q.f[0]), zmq_msg_size(&q.f[0]));
    r->job_id_len = zmq_msg_size(&q.f[0]);
    char err[256];
    ph_job_t job;
    ph_reply_t out = {NULL, 0, 0};
    const char *status = "OK";
    if (ph_job_parse(zmq_msg_data(&q.f[2]), zmq_msg_size(&q.f[2]), &job, err, sizeof err) != 0) {
        LOG(r, "%s; answered ERROR", err);
        send_reply(r, r->job_id, r->job_id_len, "ERROR", err);
        close_frames(q.f, 3);
        return 0;
    }
    char budget[32];
    size_t bl = zmq_msg_size(&q.f[1]) < sizeof budget - 1 ? zmq_msg_size(&q.f[1]) : sizeof budget - 1;
    memcpy(budget, zmq_msg_data(&q.f[1]), bl);
    budget[bl] = '\0';
    job.budget_ms = strtoll(budget, NULL, 10);
    job.params = &r->params;
    close_frames(&q.f[1], 2);     /* the payload is no longer needed once parsed */
    r->busy = 1;
    r->job_start = now_s();
    ph_handler_fn fn = r->fn;
    void *user = r->user;
    pthread_mutex_unlock(&r->mu);
    int rc = fn(&job, &out, user);
    ph_job_free(&job);
    pthread_mutex_lock(&r->mu);
    if (r->abandoned) {           /* timed out meanwhile: drop the result */
        pthread_mutex_unlock(&r->mu);
        zmq_msg_close(&q.f[0]);
        free(out.data);
        return -1;
    }
    r->busy = 0;
    if (rc != 0) {
        status = "ERROR";
        if (out.len == 0)
            ph_reply_printf(&out, "HandlerError: handler returned %d", rc);
    }
    unsigned char cmd = CMD_REPLY;
    zmq_msg_t result;
    if (out.len > 0)
        zmq_msg_init_data(&result, out.data, out.len, free_buffer, NULL);
    else {
        free(out.data);
        zmq_msg_init(&result);
    }
    if (zmq_send(r->dealer, VERSION, 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        LOG(r, "could not send a REPLY (%s); dropped", zmq_strerror(errno));
        zmq_msg_close(&result);
    } else {
        zmq_send(r->dealer, &cmd, 1, ZMQ_SNDMORE);
        zmq_msg_send(&q.f[0], r->dealer, ZMQ_SNDMORE);
        zmq_send(r->dealer, status, strlen(status), ZMQ_SNDMORE);
        DEBUG(r, "sent REPLY %s, %zu bytes", status, zmq_msg_size(&result));
        if (zmq_msg_send(&result, r->dealer, 0) < 0)
            zmq_msg_close(&result);
    }
    zmq_msg_close(&q.f[0]);
    return 0;
}

static void random_seed(unsigned *seed);
static double random_unit(unsigned *seed);

/* The exits that do not wait for the running job (the loop's and the watchdog's): each answers the
 * queued jobs and returns 1 with *rc set, or returns 0. */
static int exit_on_second_signal(run_t *r, int *rc)
{
    if (g_signals < 2 || !r->leaving)
        return 0;
    LOG(r, "second signal: exiting now%s", r->busy ? ", abandoning the running job" : "");
    fail_queued(r, "job not run: the worker is exiting (second signal)");
    *rc = PH_EXIT_FAILED;
    return 1;
}

static int exit_on_beat_lost(run_t *r, double now, double beat_limit, int *rc)
{
    if (now - r->last_beat <= beat_limit)
        return 0;
    LOG(r, "no heartbeat from the broker for %.1fs (%d x %gs): the broker is gone; exiting%s",
        now - r->last_beat, r->o->ping_retries, r->o->ping_delay_s,
        r->busy ? ", abandoning the running job" : "");
    fail_queued(r, "job not run: the worker lost the broker's heartbeat and is exiting");
    *rc = PH_EXIT_OK;
    return 1;
}

/* The loop thread: holds the mutex except while a handler runs. */
static void *loop_thread(void *arg)
{
    run_t *r = arg;
    const ph_worker_options_t *o = r->o;
    pthread_mutex_lock(&r->mu);
    double start = now_s();
    double beat_limit = o->ping_retries * o->ping_delay_s;
    double max_age_at = -1;
    if (o->max_age_s > 0) {
        unsigned seed;
        random_seed(&seed);
        max_age_at = start + o->max_age_s + random_unit(&seed) * o->max_age_delta_s;
    }
    int rc = PH_EXIT_OK;
    double next_check = start;     /* the SUB is read every CHECK_S, not polled (2 syscalls a pass) */
    while (1) {
        double now = now_s();
        if (now >= next_check || now - r->last_beat > beat_limit) {
            drain_beats(r, now);
            leave_if_parent_gone(r, now);
            next_check = now + CHECK_S;
        }
        if (exit_on_second_signal(r, &rc))
            break;
        if (!r->leaving && (g_signals > 0 || (max_age_at > 0 && now >= max_age_at)))
            leave_on_signal(r, now, g_signals > 0 ? "signal received" : "max age reached");
        if (r->leaving && r->q_len == 0 && (r->got_answer || now - r->leave_at >= r->leave_wait)) {
            if (!r->got_answer) {
                /* The broker is most likely gone (its supervisor died with it): lingering on close would only
                 * delay the exit by up to 2 s for messages nobody will read. */
                int zero = 0;
                zmq_setsockopt(r->dealer, ZMQ_LINGER, &zero, sizeof zero);
                LOG(r, "no DISCONNECT answer from the broker within %gs", r->leave_wait);
            }
            LOG(r, "left the broker; exiting");
            rc = PH_EXIT_OK;
            break;
        }
        if (exit_on_beat_lost(r, now, beat_limit, &rc))
            break;
        heartbeat_if_due(r, now);

        double wake = r->next_hb;
        if (next_check < wake) wake = next_check;
        if (r->last_beat + beat_limit < wake) wake = r->last_beat + beat_limit;
        if (!r->leaving && max_age_at > 0 && max_age_at < wake) wake = max_age_at;
        if (r->leaving && r->leave_at + r->leave_wait < wake) wake = r->leave_at + r->leave_wait;
        long timeout_ms = r->q_len > 0 ? 0 : (long)ceil((wake - now) * 1000.0) + 1;
        if (timeout_ms < 0) timeout_ms = 0;

        zmq_pollitem_t items[2] = {{r->dealer, 0, ZMQ_POLLIN, 0}, {NULL, r->wake_fd[0], ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, timeout_ms) < 0) {
            if (errno == EINTR)
                continue;
            LOG(r, "poll failed: %s", zmq_strerror(errno));
            rc = PH_EXIT_FAILED;
            break;
        }
        now = now_s();
        if (items[1].revents & ZMQ_POLLIN) {
            char drain[64];
            while (read(r->wake_fd[0], drain, sizeof drain) > 0) {
            }
        }
        if (items[0].revents & ZMQ_POLLIN)
            handle_backend(r);
        while (r->q_len > 0 && !(g_signals >= 2 && r->leaving)) {
            if (run_next(r) != 0) {
                run_release(r);
                return NULL;
            }
            heartbeat_if_due(r, now_s());
        }
    }
    r->loop_rc = rc;
    r->loop_done = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    run_release(r);
    return NULL;
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

/* The caller's part: watches the loop thread while a handler runs, until the loop ends or is
 * abandoned. Returns the exit code. Called with the mutex held; returns with it released. */
static int watch(run_t *r)
{
    const ph_worker_options_t *o = r->o;
    double period = o->heartbeat_interval_s / 2;
    if (o->timeout_s / 5 < period) period = o->timeout_s / 5;
    if (period < 0.01) period = 0.01;
    double beat_limit = o->ping_retries * o->ping_delay_s;
    int rc = PH_EXIT_OK;
    while (!r->loop_done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double t = (double)until.tv_sec + (double)until.tv_nsec / 1e9 + period;
        until.tv_sec = (time_t)t;
        until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
        pthread_cond_timedwait(&r->cv, &r->mu, &until);
        if (r->loop_done || !r->busy)
            continue;
        double now = now_s();
        if (now - r->job_start < period / 2 && g_signals == 0)
            continue;
        /* A handler has run a while: the loop cannot, so do its housekeeping. */
        heartbeat_if_due(r, now);
        drain_beats(r, now);
        handle_backend(r);
        if (!r->leaving && g_signals > 0)
            leave_on_signal(r, now, "signal received");
        leave_if_parent_gone(r, now);
        if (now - r->job_start > o->timeout_s) {
            char text[96];
            snprintf(text, sizeof text, "job timed out after %gs", o->timeout_s);
            LOG(r, "%s: answered ERROR; exiting with code %d so that a supervisor restarts the "
                    "worker (the handler cannot be stopped)", text, PH_EXIT_FAILED);
            send_reply(r, r->job_id, r->job_id_len, "ERROR", text);
            fail_queued(r, "job not run: the worker is exiting after a job timed out");
            rc = PH_EXIT_FAILED;
            break;
        }
        if (exit_on_beat_lost(r, now, beat_limit, &rc) || exit_on_second_signal(r, &rc))
            break;
    }
    if (r->loop_done) {
        rc = r->loop_rc;
    } else {
        r->abandoned = 1;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int ph_worker_run(const ph_worker_options_t *o, ph_handler_fn fn, void *user)
{
    char err[256];
    if (o->prefetch < 0 || o->prefetch > PH_MAX_PREFETCH) {
        log_line(o->name, "prefetch must be 0 to %d, not %d", PH_MAX_PREFETCH, o->prefetch);
        return PH_EXIT_CONFIG;
    }
    run_t *r = calloc(1, sizeof *r);
    if (r == NULL || (r->queue = calloc((size_t)o->prefetch + 1, sizeof *r->queue)) == NULL) {
        log_line(o->name, "out of memory");
        free(r);
        return PH_EXIT_FAILED;
    }
    r->o = o;
    if (ph_params_parse(o->params, &r->params, err, sizeof err) != 0) {
        LOG(r, "--params: %s", err);
        free(r->queue);
        free(r);
        return PH_EXIT_CONFIG;
    }
    atomic_init(&r->refs, 1);
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
        LOG(r, "connected to %s (heartbeat %s), timeout %gs, prefetch %d", o->backend, o->heartbeat,
            o->timeout_s, o->prefetch);
        send_ready(r);
        /* The loop thread, which runs the handler, must not take SIGTERM/SIGINT. */
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        atomic_fetch_add(&r->refs, 1);
        if (pthread_create(&thread, NULL, loop_thread, r) != 0) {
            atomic_fetch_sub(&r->refs, 1);
            LOG(r, "cannot start the loop thread");
            setup = -1;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    int rc = setup_rc;
    if (setup == 0) {
        pthread_mutex_lock(&r->mu);
        rc = watch(r);
        pthread_mutex_lock(&r->mu);
        int abandoned = r->abandoned;
        pthread_mutex_unlock(&r->mu);
        if (abandoned)
            pthread_detach(thread);
        else
            pthread_join(thread, NULL);
    }

    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    g_wake_fd = -1;
    pthread_mutex_lock(&r->mu);
    fail_queued(r, "job not run: the worker is exiting");   /* none left on any path above */
    zmq_close(r->sub);
    zmq_close(r->dealer);       /* lingers up to 2 s to deliver the last REPLY/DISCONNECT */
    r->sub = r->dealer = NULL;
    pthread_mutex_unlock(&r->mu);
    zmq_ctx_term(r->ctx);
    ph_curve_free(curve);
    if (r->wake_fd[0] >= 0) {
        close(r->wake_fd[0]);
        close(r->wake_fd[1]);
    }
    run_release(r);
    return rc;
}
