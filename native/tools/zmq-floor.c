/* zmq-floor: the round trip through libzmq alone, as the performance floor for Powerhose.
 *
 * REQ mode (the 1-in-flight latency floor):
 *   C client threads (REQ) -> ROUTER | zmq_proxy | DEALER -> W echo workers (REP)
 * Workers are threads of this process, or with --procs forked processes. Each client sends
 * its share of --count requests of --size bytes one at a time and times each round trip with
 * CLOCK_MONOTONIC; 10 unmeasured warm-up round trips per client come first. Prints one line:
 *   floor transport=ipc size=64 clients=1 workers=1 count=N seconds=S jobs_per_s=X p50_us=Y p99_us=Z
 *
 * Pipelined mode, --in-flight N (the throughput floor): one DEALER client in this process keeps N
 * requests in flight through a zmq_proxy process to W REP worker processes. Each process has its
 * own context, so the CPU time of each (all its threads, from /proc/<pid>/task/<tid>/schedstat) is
 * its own; after a warm-up of count / 10 requests, prints
 *   floor mode=pipelined ... jobs_per_s=X cpu_us_client=A cpu_us_proxy=B cpu_us_workers=C
 * (CPU microseconds per job; workers summed). --serve starts the proxy and the workers only, prints
 *   serve front=<endpoint>
 * and answers each line "cpu" on stdin with "cpu proxy_ns=P workers_ns=W", until stdin closes: the
 * floor for a client in another language (the bench's jzmq DEALER client).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define WARMUP 10

static struct {
    const char *transport, *dir;
    long size, count, clients, workers, work_us, in_flight;
    int procs, serve;
} opt = {"ipc", NULL, 64, 10000, 1, 1, 0, 0, 0, 0};

static char front_ep[512], back_ep[512], tmpdir[400];
static void *ctx;
static double *latencies_us;
static pthread_barrier_t start_barrier;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "zmq-floor: %s: %s\n", what, zmq_strerror(errno));
    exit(1);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: zmq-floor [--transport ipc|tcp] [--size BYTES] [--count N] [--clients C]\n"
               "                 [--workers W] [--procs] [--dir TMPDIR]\n"
               "                 [--work-us N] [--in-flight N [--serve]]\n"
               "  --procs     run the W echo workers as forked processes instead of threads\n"
               "  --work-us   each worker spends N µs of its CPU time per request before replying\n"
               "  --in-flight one DEALER client keeps N requests in flight (pipelined mode; the\n"
               "              proxy and the workers are processes of their own)\n"
               "  --serve     pipelined mode without the client: serve until stdin closes\n");
}

static long parse_long(const char *name, const char *v, long min)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < min) {
        fprintf(stderr, "zmq-floor: %s needs an integer >= %ld, not '%s'\n", name, min, v);
        exit(2);
    }
    return n;
}

static int free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0
        || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("zmq-floor: finding a free tcp port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --work-us: spend that much of this thread's CPU time, as a CPU-bound job would. */
static void work(void)
{
    if (opt.work_us <= 0)
        return;
    double until = thread_cpu_s() + (double)opt.work_us / 1e6;
    while (thread_cpu_s() < until) {
    }
}

/* The echo loop of a REP worker; returns when the context is shut down. */
static void echo_loop(void *c)
{
    void *rep = zmq_socket(c, ZMQ_REP);
    int zero = 0;
    zmq_setsockopt(rep, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(rep, back_ep) != 0)
        die("worker connect");
    while (1) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, rep, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        work();
        if (zmq_msg_send(&m, rep, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
    }
    zmq_close(rep);
}

static void *worker_thread(void *arg)
{
    (void)arg;
    echo_loop(ctx);
    return NULL;
}

static void *proxy_thread(void *arg)
{
    void **socks = arg;
    zmq_proxy(socks[0], socks[1], NULL);   /* returns when the context is shut down */
    zmq_close(socks[0]);
    zmq_close(socks[1]);
    return NULL;
}

typedef struct {
    long first, n;
} client_arg_t;

static void *client_thread(void *arg)
{
    client_arg_t *a = arg;
    void *req = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(req, front_ep) != 0)
        die("client connect");
    char *buf = malloc((size_t)opt.size + 1);
    memset(buf, 'x', (size_t)opt.size);
    for (long i = -WARMUP; i < a->n; i++) {
        if (i == 0)
            pthread_barrier_wait(&start_barrier);
        double t0 = now_s();
        if (zmq_send(req, buf, (size_t)opt.size, 0) < 0)
            die("client send");
        int got = zmq_recv(req, buf, (size_t)opt.size + 1, 0);
        if (got != opt.size) {
            fprintf(stderr, "zmq-floor: reply of %d bytes, want %ld\n", got, opt.size);
            exit(1);
        }
        if (i >= 0)
            latencies_us[a->first + i] = (now_s() - t0) * 1e6;
    }
    if (a->n == 0)
        pthread_barrier_wait(&start_barrier);
    free(buf);
    zmq_close(req);
    return NULL;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double percentile(const double *sorted, long n, double p)   /* nearest rank */
{
    long k = (long)ceil(p * (double)n) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return sorted[k];
}

/* CPU time of every thread of a process so far, in ns (/proc/<pid>/task/<tid>/schedstat). */
static long long proc_cpu_ns(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char stat[320];
        snprintf(stat, sizeof stat, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        FILE *f = fopen(stat, "r");
        long long ns = 0;
        if (f != NULL) {
            if (fscanf(f, "%lld", &ns) == 1)
                total += ns;
            fclose(f);
        }
    }
    closedir(d);
    return total;
}

static void remove_endpoints(void)
{
    if (tmpdir[0]) {
        char path[600];
        snprintf(path, sizeof path, "%s/front.ipc", tmpdir);
        unlink(path);
        snprintf(path, sizeof path, "%s/back.ipc", tmpdir);
        unlink(path);
        rmdir(tmpdir);
    }
}

/* The proxy process of pipelined mode: ROUTER (clients) | zmq_proxy | DEALER (workers), until killed. */
static void proxy_process(void)
{
    void *c = zmq_ctx_new();
    void *front = zmq_socket(c, ZMQ_ROUTER), *back = zmq_socket(c, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(front, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(back, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(front, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(front, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(back, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(back, ZMQ_RCVHWM, &zero, sizeof zero);
    if (zmq_bind(front, front_ep) != 0) die("bind frontend");
    if (zmq_bind(back, back_ep) != 0) die("bind backend");
    zmq_proxy(front, back, NULL);
    _exit(0);
}

/* Sends n requests [""][payload] and takes n replies, keeping opt.in_flight in flight. */
static void pipelined_run(void *dealer, char *buf, long n)
{
    long sent = 0, received = 0;
    while (received < n) {
        while (sent < n && sent - received < opt.in_flight) {
            if (zmq_send(dealer, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(dealer, buf, (size_t)opt.size, 0) < 0)
                die("client send");
            sent++;
        }
        if (zmq_recv(dealer, buf, 1, 0) != 0)
            die("client recv (delimiter)");
        int got = zmq_recv(dealer, buf, (size_t)opt.size + 1, 0);
        if (got != opt.size) {
            fprintf(stderr, "zmq-floor: reply of %d bytes, want %ld\n", got, opt.size);
            exit(1);
        }
        received++;
    }
}

/* Pipelined mode and --serve (see the top of this file). */
static int pipelined(void)
{
    pid_t *pids = calloc((size_t)opt.workers + 1, sizeof *pids);
    for (long w = 0; w <= opt.workers; w++) {
        pids[w] = fork();
        if (pids[w] < 0) { perror("zmq-floor: fork"); return 1; }
        if (pids[w] == 0) {
            if (w == opt.workers)
                proxy_process();
            void *c = zmq_ctx_new();
            echo_loop(c);          /* ends by SIGTERM from the parent */
            _exit(0);
        }
    }
    pid_t proxy = pids[opt.workers];
    int rc = 0;
    if (opt.serve) {
        printf("serve front=%s\n", front_ep);
        fflush(stdout);
        char line[64];
        while (fgets(line, sizeof line, stdin) != NULL) {
            if (strncmp(line, "cpu", 3) == 0) {
                long long workers_ns = 0;
                for (long w = 0; w < opt.workers; w++)
                    workers_ns += proc_cpu_ns(pids[w]);
                printf("cpu proxy_ns=%lld workers_ns=%lld\n", proc_cpu_ns(proxy), workers_ns);
                fflush(stdout);
            }
        }
    } else {
        void *c = zmq_ctx_new();
        void *dealer = zmq_socket(c, ZMQ_DEALER);
        int zero = 0;
        zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(dealer, ZMQ_SNDHWM, &zero, sizeof zero);
        zmq_setsockopt(dealer, ZMQ_RCVHWM, &zero, sizeof zero);
        if (zmq_connect(dealer, front_ep) != 0) die("client connect");
        char *buf = malloc((size_t)opt.size + 1);
        memset(buf, 'x', (size_t)opt.size);
        pipelined_run(dealer, buf, opt.count / 10 > 1000 ? opt.count / 10 : 1000);   /* warm-up */
        long long client0 = proc_cpu_ns(getpid()), proxy0 = proc_cpu_ns(proxy), workers0 = 0;
        for (long w = 0; w < opt.workers; w++)
            workers0 += proc_cpu_ns(pids[w]);
        double t0 = now_s();
        pipelined_run(dealer, buf, opt.count);
        double seconds = now_s() - t0;
        long long client1 = proc_cpu_ns(getpid()), proxy1 = proc_cpu_ns(proxy), workers1 = 0;
        for (long w = 0; w < opt.workers; w++)
            workers1 += proc_cpu_ns(pids[w]);
        printf("floor mode=pipelined transport=%s size=%ld in_flight=%ld workers=%ld count=%ld seconds=%.3f "
               "jobs_per_s=%.0f cpu_us_client=%.2f cpu_us_proxy=%.2f cpu_us_workers=%.2f\n",
               opt.transport, opt.size, opt.in_flight, opt.workers, opt.count, seconds,
               (double)opt.count / seconds, (double)(client1 - client0) / 1e3 / (double)opt.count,
               (double)(proxy1 - proxy0) / 1e3 / (double)opt.count,
               (double)(workers1 - workers0) / 1e3 / (double)opt.count);
        free(buf);
        zmq_close(dealer);
        zmq_ctx_term(c);
    }
    for (long w = 0; w <= opt.workers; w++) {
        kill(pids[w], SIGTERM);
        waitpid(pids[w], NULL, 0);
    }
    free(pids);
    remove_endpoints();
    return rc;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) { usage(stdout); return 0; }
        if (strcmp(a, "--procs") == 0) { opt.procs = 1; continue; }
        if (strcmp(a, "--serve") == 0) { opt.serve = 1; continue; }
        if (i + 1 >= argc) { usage(stderr); return 2; }
        const char *v = argv[++i];
        if (strcmp(a, "--transport") == 0) opt.transport = v;
        else if (strcmp(a, "--dir") == 0) opt.dir = v;
        else if (strcmp(a, "--size") == 0) opt.size = parse_long(a, v, 0);
        else if (strcmp(a, "--count") == 0) opt.count = parse_long(a, v, 1);
        else if (strcmp(a, "--clients") == 0) opt.clients = parse_long(a, v, 1);
        else if (strcmp(a, "--workers") == 0) opt.workers = parse_long(a, v, 1);
        else if (strcmp(a, "--work-us") == 0) opt.work_us = parse_long(a, v, 0);
        else if (strcmp(a, "--in-flight") == 0) opt.in_flight = parse_long(a, v, 1);
        else { fprintf(stderr, "zmq-floor: unknown option %s\n", a); usage(stderr); return 2; }
    }
    if (strcmp(opt.transport, "ipc") == 0) {
        const char *base = opt.dir ? opt.dir : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        snprintf(tmpdir, sizeof tmpdir, "%s/zmq-floor-XXXXXX", base);
        if (mkdtemp(tmpdir) == NULL) { perror("zmq-floor: mkdtemp"); return 1; }
        snprintf(front_ep, sizeof front_ep, "ipc://%s/front.ipc", tmpdir);
        snprintf(back_ep, sizeof back_ep, "ipc://%s/back.ipc", tmpdir);
    } else if (strcmp(opt.transport, "tcp") == 0) {
        snprintf(front_ep, sizeof front_ep, "tcp://127.0.0.1:%d", free_tcp_port());
        snprintf(back_ep, sizeof back_ep, "tcp://127.0.0.1:%d", free_tcp_port());
    } else {
        fprintf(stderr, "zmq-floor: --transport is ipc or tcp, not '%s'\n", opt.transport);
        return 2;
    }

    if (opt.in_flight > 0 || opt.serve) {
        if (opt.in_flight == 0)
            opt.in_flight = 1;
        return pipelined();
    }

    /* Worker processes are forked before this process has a context or threads; they
     * connect first and libzmq reconnects until the proxy binds. */
    pid_t *pids = calloc((size_t)opt.workers, sizeof *pids);
    if (opt.procs) {
        for (long w = 0; w < opt.workers; w++) {
            pids[w] = fork();
            if (pids[w] < 0) { perror("zmq-floor: fork"); return 1; }
            if (pids[w] == 0) {
                void *c = zmq_ctx_new();
                echo_loop(c);          /* ends by SIGTERM from the parent */
                _exit(0);
            }
        }
    }

    ctx = zmq_ctx_new();
    void *socks[2] = {zmq_socket(ctx, ZMQ_ROUTER), zmq_socket(ctx, ZMQ_DEALER)};
    int zero = 0;
    zmq_setsockopt(socks[0], ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(socks[1], ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(socks[0], front_ep) != 0) die("bind frontend");
    if (zmq_bind(socks[1], back_ep) != 0) die("bind backend");
    pthread_t proxy, *workers = calloc((size_t)opt.workers, sizeof *workers);
    pthread_t *clients = calloc((size_t)opt.clients, sizeof *clients);
    client_arg_t *args = calloc((size_t)opt.clients, sizeof *args);
    latencies_us = calloc((size_t)opt.count, sizeof *latencies_us);
    pthread_create(&proxy, NULL, proxy_thread, socks);
    if (!opt.procs)
        for (long w = 0; w < opt.workers; w++)
            pthread_create(&workers[w], NULL, worker_thread, NULL);

    pthread_barrier_init(&start_barrier, NULL, (unsigned)opt.clients + 1);
    long next = 0;
    for (long c = 0; c < opt.clients; c++) {
        args[c].first = next;
        args[c].n = opt.count / opt.clients + (c < opt.count % opt.clients ? 1 : 0);
        next += args[c].n;
        pthread_create(&clients[c], NULL, client_thread, &args[c]);
    }
    pthread_barrier_wait(&start_barrier);
    double t0 = now_s();
    for (long c = 0; c < opt.clients; c++)
        pthread_join(clients[c], NULL);
    double seconds = now_s() - t0;

    zmq_ctx_shutdown(ctx);
    pthread_join(proxy, NULL);
    if (!opt.procs)
        for (long w = 0; w < opt.workers; w++)
            pthread_join(workers[w], NULL);
    zmq_ctx_term(ctx);
    if (opt.procs)
        for (long w = 0; w < opt.workers; w++) {
            kill(pids[w], SIGTERM);
            waitpid(pids[w], NULL, 0);
        }
    remove_endpoints();

    qsort(latencies_us, (size_t)opt.count, sizeof *latencies_us, cmp_double);
    printf("floor transport=%s size=%ld clients=%ld workers=%ld count=%ld seconds=%.3f "
           "jobs_per_s=%.0f p50_us=%.1f p99_us=%.1f work_us=%ld\n",
           opt.transport, opt.size, opt.clients, opt.workers, opt.count, seconds,
           (double)opt.count / seconds, percentile(latencies_us, opt.count, 0.50),
           percentile(latencies_us, opt.count, 0.99), opt.work_us);
    pthread_barrier_destroy(&start_barrier);
    free(latencies_us);
    free(args);
    free(clients);
    free(workers);
    free(pids);
    return 0;
}
