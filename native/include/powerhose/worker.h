/*
 * powerhose/worker.h - write a Powerhose worker in C.
 *
 * The library implements the worker side of docs/PROTOCOL.md (version 1) on libzmq:
 * it registers with the broker, heartbeats from its own thread while a job runs,
 * parses job payloads, and leaves gracefully on SIGTERM/SIGINT or after --max-age.
 *
 *     static int handler(const ph_job_t *job, ph_reply_t *out, void *user) {
 *         return ph_reply_set(out, job->data, job->data_len);      // echo
 *     }
 *     int main(int argc, char **argv) {
 *         ph_worker_options_t opts;
 *         int rc = ph_worker_parse_args(argc, argv, &opts);
 *         if (rc != PH_RUN) return rc;                    // --help, or a bad command line
 *         return ph_worker_run(&opts, handler, NULL);
 *     }
 *
 * Link with: libpowerhose-worker.a -lzmq -lpthread -lm
 *
 * Threads: the thread that calls ph_worker_run() owns the sockets for the whole run and never
 * runs the handler: it heartbeats, reads the broker's beat and answers a job's timeout however
 * long the handler runs. ph_worker_run() starts one job thread that calls the handler, one job
 * at a time (capacity 1), and owns no socket. The handler therefore never runs concurrently
 * with itself, but it does not run on the thread that called ph_worker_run(), and never
 * sees SIGTERM/SIGINT. Up to `prefetch` further jobs (default 32) wait in a local FIFO while
 * the handler runs and start, in arrival order, as soon as it returns.
 */
#ifndef POWERHOSE_WORKER_H
#define POWERHOSE_WORKER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- exit codes (the same as the Java powerhose-worker's; a supervisor such as the Java
 * cluster respawns a worker that exits with any code but PH_EXIT_CONFIG) ---- */
enum {
    PH_EXIT_OK = 0,        /* a normal end: SIGTERM/SIGINT, --max-age, or the broker's beat lost */
    PH_EXIT_FAILED = 1,    /* a failure at run time: a job ran past --timeout, a second signal */
    PH_EXIT_USAGE = 2,     /* bad command line: unknown option, missing value, stray argument */
    PH_EXIT_CONFIG = 3     /* bad option value or endpoint: respawning would not help */
};
/* ---- defaults and limits, in one place (docs/PROTOCOL.md, "Limits and errors", states the
 * protocol's once for every worker; the Java ones are io.powerhose.internal.Defaults) ---- */
#define PH_DEFAULT_BACKEND "ipc:///tmp/powerhose-back.ipc"
#define PH_DEFAULT_BEAT "ipc:///tmp/powerhose-beat.ipc"   /* the broker's beat (seed: "heartbeat") */
#define PH_DEFAULT_RUN_LIMIT_S 7.5           /* --timeout: the longest a job may run */
#define PH_DEFAULT_PING_DELAY_S 10.0         /* --ping-delay: the beat check period */
#define PH_DEFAULT_PING_RETRIES 3            /* --ping-retries: checks without a beat before leaving */
#define PH_DEFAULT_HEARTBEAT_INTERVAL_S 1.0  /* --heartbeat-interval: time between two HEARTBEATs */
#define PH_DEFAULT_PREFETCH 32               /* --prefetch: jobs queued beyond the running one */
#define PH_MAX_PREFETCH 1024                 /* the most prefetch a broker believes */
#define PH_MAX_JOB_BYTES ((size_t)16 * 1024 * 1024)   /* larger payloads are answered ERROR */

/* ph_worker_parse_args() returns this when the worker should run. */
#define PH_RUN (-1)

/* ---- key/value lists: job headers and worker params ---- */

/* One name/value pair; both are NUL-terminated UTF-8 owned by the list that holds them. */
typedef struct {
    const char *name;
    const char *value;
} ph_header_t;

/* Worker params, from --params "key:value|k2:v2". */
typedef struct {
    ph_header_t *items;
    size_t count;
} ph_params_t;

/* Parses "key:value|k2:v2" into out (which it initialises). Items are split on '|', each
 * item on its first ':' (so a value may contain ':'); empty items are skipped; an item
 * without ':' or with an empty key is an error. NULL or "" gives an empty list.
 * Returns 0, or -1 with a message in err. Free with ph_params_free(). */
int ph_params_parse(const char *text, ph_params_t *out, char *err, size_t errlen);
/* The value of the last item named key, or NULL. */
const char *ph_params_get(const ph_params_t *params, const char *key);
void ph_params_free(ph_params_t *params);

/* ---- jobs ---- */

typedef struct {
    ph_header_t *headers;          /* header_count pairs, in payload order; names are unique
                                      (a repeated name: the last value wins, at its first place) */
    size_t header_count;
    const unsigned char *data;     /* data_len bytes; data[data_len] is always 0, so text
                                      data can be used as a C string */
    size_t data_len;
    long long budget_ms;           /* ms the caller will still wait, as of when the job starts:
                                      the REQUEST's budget less the time the job waited in the
                                      worker (never negative); -1 if unknown */
    const ph_params_t *params;     /* the worker's --params (never NULL inside a handler) */
} ph_job_t;

/* Parses a job payload ("<headers>:::<data>", see PROTOCOL.md "The job payload") into job,
 * copying everything it needs. Returns 0, or -1 with the reason in err (job is then empty).
 * A header name or value holding a NUL byte (it cannot be a C string) or bytes that are not
 * valid UTF-8 is rejected, as by the Java and Python parsers (docs/job-vectors.tsv). A repeated
 * header name keeps its last value (as the Java Job does). */
int ph_job_parse(const unsigned char *payload, size_t len, ph_job_t *job, char *err, size_t errlen);
/* Frees what ph_job_parse() allocated; safe on a zeroed or already freed job. */
void ph_job_free(ph_job_t *job);
/* Encodes headers and data as a payload into a malloc'd buffer (*out, *outlen; the caller
 * frees it). Returns 0, or -1 when out of memory. */
int ph_job_serialize(const ph_header_t *headers, size_t header_count,
                     const void *data, size_t data_len,
                     unsigned char **out, size_t *outlen);
/* The value of the header named name (the last one when the payload repeats it), or NULL. */
const char *ph_job_header(const ph_job_t *job, const char *name);
/* The value of worker param key, or NULL. */
const char *ph_job_param(const ph_job_t *job, const char *key);

/* ---- replies ---- */

/* A handler's answer: the result (handler returns 0) or the error text (nonzero).
 * Starts empty; the worker owns and frees it. Only use it through these functions. */
typedef struct {
    unsigned char *data;
    size_t len;
    size_t cap;
} ph_reply_t;

/* Replace the reply with len bytes. Return 0, or -1 when out of memory. */
int ph_reply_set(ph_reply_t *out, const void *bytes, size_t len);
/* Append len bytes. */
int ph_reply_append(ph_reply_t *out, const void *bytes, size_t len);
/* Replace the reply with printf-formatted text. */
int ph_reply_printf(ph_reply_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The job handler. Return 0 for REPLY OK with out as the result; nonzero for REPLY ERROR
 * with out as the message (convention: "Kind: message"; empty out gives
 * "HandlerError: handler returned N"). */
typedef int (*ph_handler_fn)(const ph_job_t *job, ph_reply_t *out, void *user);

/* ---- the worker ---- */

/* The defaults (ph_worker_options_init) are the PH_DEFAULT_* and PH_MAX_* above. */
typedef struct {
    const char *name;              /* program name for log lines ("name[pid]: ...") */
    const char *backend;           /* broker backend endpoint (DEALER connects) */
    const char *heartbeat;         /* the broker's beat endpoint (SUB connects; seed name) */
    double timeout_s;              /* the job run limit: a job running longer ends the worker */
    double max_age_s;              /* leave after this many seconds; <= 0: never (-1) */
    double max_age_delta_s;        /* plus random(0, this) seconds (0) */
    double ping_delay_s;           /* beat-loss check: no beat for */
    int ping_retries;              /*   ping_retries x ping_delay_s -> exit */
    double heartbeat_interval_s;   /* send HEARTBEAT this often */
    size_t max_job_bytes;          /* larger payloads are answered ERROR */
    const char *params;            /* "key:value|k2:v2" or NULL */
    int debug;                     /* log every message */
    const char *label;             /* READY label's language ("c"); "@host" is added unless it
                                      has an '@' already */
    int prefetch;                  /* jobs beyond capacity 1 accepted and queued while the
                                      handler runs, 0 to PH_MAX_PREFETCH; READY's 6th frame */
    long parent_pid;               /* leave when this process ends; <= 0: the pid in the
                                      environment variable POWERHOSE_PARENT_PID, if any (0) */
    const char *curve_server_key;  /* the broker's public key file (NAME.key): CURVE on (NULL) */
    const char *curve_key;         /* this worker's key pair file (NAME.key_secret, mode 0600);
                                      NULL: a new key pair per connection (NULL) */
} ph_worker_options_t;

/* Fills opts with the defaults above; endpoints default to
 * ipc:///tmp/powerhose-back.ipc and ipc:///tmp/powerhose-beat.ipc. */
void ph_worker_options_init(ph_worker_options_t *opts);

/* Initialises opts, then reads the command line, with the same option names as the Java
 * powerhose-worker:
 *   --backend ENDPOINT --heartbeat ENDPOINT --timeout SECONDS --max-age SECONDS
 *   --max-age-delta SECONDS --params "k:v|k2:v2" --ping-delay SECONDS --ping-retries N
 *   --heartbeat-interval SECONDS --prefetch N --parent-pid PID --curve-server-key FILE
 *   --curve-key FILE --debug --help
 * ("--opt value" or "--opt=value"). Strings point into argv; opts->name is argv[0]'s base name.
 * Returns PH_RUN to run. Otherwise it has printed usage (--help) or an error, and returns the
 * code for main() to exit with at once: PH_EXIT_OK after --help, PH_EXIT_USAGE for an unknown
 * option, a missing value or a stray argument, PH_EXIT_CONFIG for a bad value. */
int ph_worker_parse_args(int argc, char **argv, ph_worker_options_t *opts);

/* Runs the worker until it leaves; returns a PH_EXIT_* code for main() to return.
 *
 * - SIGTERM/SIGINT (handlers installed for the duration of the call) and --max-age start a
 *   graceful leave: send DISCONNECT, run every job held (running and queued) or received
 *   before the broker's DISCONNECT answer and send its reply, wait up to 5 s for that
 *   answer, return PH_EXIT_OK. A second signal while leaving returns PH_EXIT_FAILED at once.
 * - A REQUEST that arrives while the handler runs is queued when fewer than prefetch jobs
 *   wait, otherwise answered REPLY ERROR "worker busy: ...". The timeout of a job counts
 *   from when it starts, not from when it was queued.
 * - No message on the heartbeat socket for ping_retries x ping_delay_s: the broker is gone;
 *   returns PH_EXIT_OK (as the Java worker does).
 * - The parent watch: when the process named by parent_pid (or POWERHOSE_PARENT_PID, which a
 *   cluster's supervisor sets) ends, the worker leaves as on a signal, but waits at most 1 s for
 *   the broker's answer (a supervisor that dies usually takes its broker with it); checked every
 *   0.1 s, also while a job runs. Returns PH_EXIT_OK.
 * - A job running longer than timeout_s is answered REPLY ERROR "job timed out after Xs"
 *   and its result, if it ever comes, is dropped; queued jobs that never started are
 *   answered REPLY ERROR "job not run: ..." (the same when the worker exits for any other
 *   reason while jobs wait). A C thread cannot be killed safely, so
 *   ph_worker_run() then returns PH_EXIT_FAILED while the handler is still running on its
 *   thread: the caller must end the process promptly (return from main); its supervisor
 *   restarts it. The same holds whenever ph_worker_run() returns while a job runs (beat lost,
 *   second signal). Should the abandoned handler return, its thread frees what it holds and
 *   ends.
 * - A bad endpoint, or a key file that cannot be used (missing, malformed, a secret key file
 *   readable by others), returns PH_EXIT_CONFIG; a setup failure PH_EXIT_FAILED.
 * - CURVE (docs/SECURITY.md): with curve_server_key both sockets are CURVE clients of the broker.
 *   A failed security handshake (CURVE on one side only, a wrong server key, a key the broker's
 *   allow-list refuses) is logged once, in words that say what to change.
 */
int ph_worker_run(const ph_worker_options_t *opts, ph_handler_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif
