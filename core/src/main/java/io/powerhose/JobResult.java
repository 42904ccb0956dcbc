package io.powerhose;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A job's result with where and how long it ran.
 *
 * @param data the result bytes (not copied)
 * @param workerPid the pid of the worker that ran the job
 * @param elapsed time from sending the job to receiving the result
 */
public record JobResult(byte[] data, long workerPid, Duration elapsed) {
    /** @return the result decoded as UTF-8 */
    public String dataAsString() {
        return new String(data, StandardCharsets.UTF_8);
    }
}
