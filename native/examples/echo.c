/* powerhose-worker-echo: replies with the job's data.
 * Test hooks: data exactly "crash" dereferences NULL on purpose (the process dies with
 * SIGSEGV), for the crash-isolation tests of the broker; with --params "run_log:PATH" each
 * job appends its data and a newline to PATH before it answers, so that a test can count
 * how many times each job ran (the at-most-once and retry tests); a header sleep_ms makes
 * the job sleep that long first, and a header answer:budget makes it reply with its budget
 * (job->budget_ms) instead of its data (the worker contract tests, as TestTargets::hooks and
 * echo.hooks in Python). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "powerhose/worker.h"

static int log_run(const char *path, const ph_job_t *job, ph_reply_t *out)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        ph_reply_printf(out, "IOError: cannot open run_log %s", path);
        return 1;
    }
    /* One write per line: O_APPEND keeps lines whole even if several workers share the file. */
    unsigned char line[4096];
    size_t n = job->data_len < sizeof line - 1 ? job->data_len : sizeof line - 1;
    memcpy(line, job->data, n);
    line[n] = '\n';
    ssize_t written = write(fd, line, n + 1);
    close(fd);
    if (written != (ssize_t)(n + 1)) {
        ph_reply_printf(out, "IOError: cannot write run_log %s", path);
        return 1;
    }
    return 0;
}

static int echo(const ph_job_t *job, ph_reply_t *out, void *user)
{
    (void)user;
    if (job->data_len == 5 && memcmp(job->data, "crash", 5) == 0) {
        volatile int *null = NULL;
        *null = 1;                         /* deliberate segfault: test hook */
    }
    const char *run_log = ph_job_param(job, "run_log");
    if (run_log != NULL) {
        int rc = log_run(run_log, job, out);
        if (rc != 0)
            return rc;
    }
    const char *sleep_ms = ph_job_header(job, "sleep_ms");
    if (sleep_ms != NULL) {
        long ms = strtol(sleep_ms, NULL, 10);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0) {
        }
    }
    const char *answer = ph_job_header(job, "answer");
    if (answer != NULL && strcmp(answer, "budget") == 0)
        return ph_reply_printf(out, "%lld", job->budget_ms);
    return ph_reply_set(out, job->data, job->data_len);
}

int main(int argc, char **argv)
{
    ph_worker_options_t opts;
    int rc = ph_worker_parse_args(argc, argv, &opts);
    if (rc != PH_RUN)
        return rc;
    return ph_worker_run(&opts, echo, NULL);
}
