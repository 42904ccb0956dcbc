package io.powerhose.internal.worker;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One job in a worker, from its REQUEST to its REPLY. The socket thread makes it and answers it; one job thread
 * runs it. Its state moves once, by compare-and-set, so that a job is answered exactly once even when its timeout
 * and its end race: QUEUED, then RUNNING (a job thread took it) or WITHDRAWN (the worker exits before it ran);
 * RUNNING, then FINISHED (the job thread answers it) or ABANDONED (the socket thread answered its timeout, and
 * its result is dropped).
 */
final class JobTask {
    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int FINISHED = 2;
    private static final int ABANDONED = 3;
    private static final int WITHDRAWN = 4;

    final byte[] jobId;
    final long budgetMs;
    final byte[] payload;
    final long receivedNs;
    private final AtomicInteger state = new AtomicInteger(QUEUED);
    /** When a job thread started it; written before the state becomes RUNNING. */
    private volatile long startNs;
    /** The answer; written by the job thread before it hands the task back through a queue. */
    boolean ok;
    byte[] result;

    /**
     * @param jobId the broker's job id
     * @param budgetMs how long the caller would still wait when the REQUEST arrived, in ms
     * @param payload the serialized job
     * @param receivedNs when the REQUEST arrived
     */
    JobTask(byte[] jobId, long budgetMs, byte[] payload, long receivedNs) {
        this.jobId = jobId;
        this.budgetMs = budgetMs;
        this.payload = payload;
        this.receivedNs = receivedNs;
    }

    /** Job thread: takes the task; false when it was withdrawn meanwhile. */
    boolean start(long nowNs) {
        startNs = nowNs;
        return state.compareAndSet(QUEUED, RUNNING);
    }

    /** Job thread: the handler returned; false when the task was abandoned meanwhile (its result is dropped). */
    boolean finish() {
        return state.compareAndSet(RUNNING, FINISHED);
    }

    /** Socket thread: the task ran past the timeout; true when it wins over {@link #finish()}. */
    boolean abandon() {
        return state.compareAndSet(RUNNING, ABANDONED);
    }

    /** Socket thread: the worker exits before the task started; true when it wins over {@link #start}. */
    boolean withdraw() {
        return state.compareAndSet(QUEUED, WITHDRAWN);
    }

    /** @return when it started, valid once a job thread has taken it */
    long startNs() {
        return startNs;
    }

    /** @return the caller's remaining wait when the job started, in ms (0 when none is left) */
    long budgetLeftMs() {
        return Math.max(0, budgetMs - (startNs - receivedNs) / 1_000_000);
    }
}
