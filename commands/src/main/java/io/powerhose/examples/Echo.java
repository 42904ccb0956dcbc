package io.powerhose.examples;

import io.powerhose.Job;
import io.powerhose.JobHandler;

/**
 * Replies with the job's data: {@code bin/powerhose io.powerhose.examples.Echo}.
 */
public final class Echo implements JobHandler {
    /** Creates the handler. */
    public Echo() {
    }

    @Override
    public byte[] handle(Job job) {
        return job.data();
    }

    /**
     * The same as a static method, for the {@code Class::method} target form.
     *
     * @param job the job
     * @return its data
     */
    public static byte[] echo(Job job) {
        return job.data();
    }
}
