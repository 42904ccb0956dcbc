package io.powerhose.internal.broker;

import io.powerhose.internal.Defaults;

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
 * @param maxReplyBytes largest result a worker may send back
 * @param maxWorkerCapacity the most jobs run at once on one worker, whatever it claims
 * @param maxWorkerPrefetch the most jobs queued on one worker beyond its capacity, whatever it claims
 * @param maxQueuedBytes how many payload bytes may wait in the queue
 */
public record DispatcherSettings(long brokerPid, long heartbeatIntervalNs, long livenessNs, long noWorkerGraceNs,
                                 int maxQueuedJobs, long maxJobBytes, long legacyTimeoutMs, long maxReplyBytes,
                                 int maxWorkerCapacity, int maxWorkerPrefetch, long maxQueuedBytes) {
    /**
     * Settings with the default result limit (64 MiB), worker limits (1024 and 1024) and queue bytes (256 MiB).
     *
     * @param brokerPid the pid the broker answers with
     * @param heartbeatIntervalNs time between two beats
     * @param livenessNs silence after which a worker is forgotten
     * @param noWorkerGraceNs how long a job waits for a worker when none is registered
     * @param maxQueuedJobs queue bound
     * @param maxJobBytes largest job payload
     * @param legacyTimeoutMs the timeout given to 0.x requests
     */
    public DispatcherSettings(long brokerPid, long heartbeatIntervalNs, long livenessNs, long noWorkerGraceNs,
                              int maxQueuedJobs, long maxJobBytes, long legacyTimeoutMs) {
        this(brokerPid, heartbeatIntervalNs, livenessNs, noWorkerGraceNs, maxQueuedJobs, maxJobBytes, legacyTimeoutMs,
            Defaults.MAX_REPLY_BYTES, Defaults.MAX_CAPACITY, Defaults.MAX_PREFETCH, Defaults.MAX_QUEUED_BYTES);
    }
}
