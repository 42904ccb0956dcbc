package io.powerhose.internal.broker;

/**
 * The limits and timings the {@link Dispatcher} works with, all in nanoseconds or counts.
 *
 * @param brokerPid the pid the broker answers with
 * @param heartbeatIntervalNs time between two beats
 * @param livenessNs silence after which a worker is forgotten
 * @param noWorkerGraceNs how long a job waits for a worker when none is registered
 * @param maxQueuedJobs queue bound
 * @param maxJobBytes largest job payload
 * @param legacyTimeoutMs the timeout given to 0.x requests, which carry none
 */
public record DispatcherSettings(long brokerPid, long heartbeatIntervalNs, long livenessNs, long noWorkerGraceNs,
                                 int maxQueuedJobs, long maxJobBytes, long legacyTimeoutMs) {
}
