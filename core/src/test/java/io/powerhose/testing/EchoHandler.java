package io.powerhose.testing;

import io.powerhose.Job;
import io.powerhose.JobHandler;

/** A {@link JobHandler} class (not a static method) that replies with the job's data. */
public final class EchoHandler implements JobHandler {
    /** Creates the handler. */
    public EchoHandler() {
    }

    @Override
    public byte[] handle(Job job) {
        return job.data();
    }
}
