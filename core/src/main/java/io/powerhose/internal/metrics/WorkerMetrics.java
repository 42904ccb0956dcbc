package io.powerhose.internal.metrics;

import io.powerhose.Job;
import io.powerhose.JobHandler;

/**
 * What a worker records: each run of its handler (outcome and time) and each job that ran past its timeout. The
 * runs are recorded by the handler {@link #instrument} wraps, so the worker's loop has one call of its own to make:
 * {@link #onJobTimedOut()}, where it answers a timed-out job.
 */
public interface WorkerMetrics {
    /** Records nothing: a worker's metrics when no registry was given. */
    WorkerMetrics NONE = new WorkerMetrics() {
        @Override
        public void onJobRan(boolean ok, long runNs) {
        }

        @Override
        public void onJobTimedOut() {
        }
    };

    /**
     * The handler returned ({@code ok}) or threw. Called on the thread that ran the job. A job that ran past the
     * timeout is recorded here too when (if ever) its handler returns, besides {@link #onJobTimedOut()}.
     *
     * @param ok whether it returned a result
     * @param runNs how long it ran
     */
    void onJobRan(boolean ok, long runNs);

    /** A job ran past the worker's timeout: it was answered ERROR and its thread abandoned. On the loop's thread. */
    void onJobTimedOut();

    /**
     * Wraps a handler so that each of its runs is recorded by {@link #onJobRan}; {@link #NONE} returns the handler
     * itself.
     *
     * @param handler the job handler
     * @return the handler to run
     */
    default JobHandler instrument(JobHandler handler) {
        if (this == NONE) {
            return handler;
        }
        return new JobHandler() {
            @Override
            public byte[] handle(Job job) throws Exception {
                long startNs = System.nanoTime();
                boolean ok = false;
                try {
                    byte[] result = handler.handle(job);
                    ok = true;
                    return result;
                } finally {
                    onJobRan(ok, System.nanoTime() - startNs);
                }
            }

            @Override
            public String toString() {
                return handler.toString();
            }
        };
    }
}
