package io.powerhose.internal.client;

import java.util.HashMap;
import java.util.Map;

/**
 * The 0.x overflow rule: per worker pid, counts results that came after {@code timeout} (but before the
 * caller gave up) in a row; more than {@code allowedOverflows} in a row and the result counts as a timeout.
 * An on-time result resets that worker's count. Pure logic; owned by the client I/O thread.
 */
public final class OverflowTracker {
    private final int allowedOverflows;
    private final Map<Long, Integer> overflowsByWorkerPid = new HashMap<>();

    /**
     * Creates the tracker.
     *
     * @param allowedOverflows overflows in a row allowed per worker
     */
    public OverflowTracker(int allowedOverflows) {
        this.allowedOverflows = allowedOverflows;
    }

    /**
     * Records a result and tells whether to hand it to the caller.
     *
     * @param workerPid the worker that ran the job
     * @param elapsedNs how long the call took
     * @param expectedNs the call's expected time
     * @return true to return the result, false to raise a timeout instead
     */
    public boolean accept(long workerPid, long elapsedNs, long expectedNs) {
        if (elapsedNs <= expectedNs) {
            overflowsByWorkerPid.remove(workerPid);
            return true;
        }
        int overflows = overflowsByWorkerPid.merge(workerPid, 1, Integer::sum);
        return overflows <= allowedOverflows;
    }

    /**
     * @param workerPid a worker's pid
     * @return its current overflows in a row
     */
    public int overflows(long workerPid) {
        return overflowsByWorkerPid.getOrDefault(workerPid, 0);
    }
}
