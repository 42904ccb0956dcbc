package io.powerhose.internal.client;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client's bound on the jobs it holds (submitted and not yet completed: waiting for the I/O thread, for a
 * connection, or for their result), in calls and in payload bytes. Caller threads take room in {@code submit};
 * the I/O thread gives it back when a call completes, fails, expires or is cancelled. Thread safe.
 */
public final class CallLimit {
    /** What {@link #tryAcquire} found. */
    public enum Outcome { ACQUIRED, TOO_MANY_CALLS, TOO_MANY_BYTES }

    private final int maxCalls;
    private final long maxBytes;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();

    /**
     * Creates the limit.
     *
     * @param maxCalls the most jobs held at once
     * @param maxBytes the most payload bytes held at once
     */
    public CallLimit(int maxCalls, long maxBytes) {
        this.maxCalls = maxCalls;
        this.maxBytes = maxBytes;
    }

    /**
     * Takes room for one job, or none when either bound would be passed. Two callers racing for the last room may
     * both be refused; none is ever let past a bound.
     *
     * @param payloadBytes the job's payload size
     * @return {@link Outcome#ACQUIRED}, or which bound refused it
     */
    public Outcome tryAcquire(long payloadBytes) {
        if (calls.incrementAndGet() > maxCalls) {
            calls.decrementAndGet();
            return Outcome.TOO_MANY_CALLS;
        }
        if (bytes.addAndGet(payloadBytes) > maxBytes) {
            bytes.addAndGet(-payloadBytes);
            calls.decrementAndGet();
            return Outcome.TOO_MANY_BYTES;
        }
        return Outcome.ACQUIRED;
    }

    /**
     * Gives back the room of one job.
     *
     * @param payloadBytes the job's payload size
     */
    public void release(long payloadBytes) {
        bytes.addAndGet(-payloadBytes);
        calls.decrementAndGet();
    }

    /** @return jobs held now */
    public int calls() {
        return calls.get();
    }

    /** @return payload bytes held now */
    public long bytes() {
        return bytes.get();
    }

    /** @return the most jobs held at once */
    public int maxCalls() {
        return maxCalls;
    }

    /** @return the most payload bytes held at once */
    public long maxBytes() {
        return maxBytes;
    }
}
