package io.powerhose.testing;

import io.powerhose.Job;
import io.powerhose.JobHandler;

/** A {@link JobHandler} whose result differs from its job: the job's data, reversed. */
public final class ReverseHandler implements JobHandler {
    /** Creates the handler. */
    public ReverseHandler() {
    }

    @Override
    public byte[] handle(Job job) {
        byte[] data = job.data();
        byte[] reversed = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            reversed[i] = data[data.length - 1 - i];
        }
        return reversed;
    }
}
