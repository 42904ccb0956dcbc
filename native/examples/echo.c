/* powerhose-worker-echo: replies with the job's data.
 * Test hook: data exactly "crash" dereferences NULL on purpose (the process dies with
 * SIGSEGV), for the crash-isolation tests of the broker. */
#include <string.h>
#include "powerhose/worker.h"

static int echo(const ph_job_t *job, ph_reply_t *out, void *user)
{
    (void)user;
    if (job->data_len == 5 && memcmp(job->data, "crash", 5) == 0) {
        volatile int *null = NULL;
        *null = 1;                         /* deliberate segfault: test hook */
    }
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
