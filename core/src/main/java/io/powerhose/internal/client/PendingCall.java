package io.powerhose.internal.client;

import io.powerhose.JobResult;

import java.util.concurrent.CompletableFuture;

/**
 * One call waiting for the broker: created by a caller thread, then owned by the client I/O thread, which
 * assigns its request id, sends it, and completes its future exactly once, directly: the future is either
 * private to the client or a {@link CallbackFuture}, so no user code runs on the I/O thread.
 */
public final class PendingCall {
    /** What the call asks. */
    public enum Kind { JOB, PING, STATUS }

    final Kind kind;
    final byte[] payload;
    final long timeoutNs;
    final long waitNs;
    final CompletableFuture<Object> future;
    final boolean dataOnly;
    long requestId;
    long sentNs;
    long deadlineNs;

    /**
     * Creates a call.
     *
     * @param kind what it asks
     * @param payload the job payload (JOB only)
     * @param timeoutNs the regular timeout, for the overflow rule
     * @param waitNs how long the caller waits in all
     * @param future the future to complete on the I/O thread: either private to the client (no user stage
     *               can be attached to it) or a {@link CallbackFuture}, whose stages run on its executor
     * @param dataOnly complete a JOB with its result bytes instead of the whole {@code JobResult}
     */
    public PendingCall(Kind kind, byte[] payload, long timeoutNs, long waitNs, CompletableFuture<Object> future,
                       boolean dataOnly) {
        this.kind = kind;
        this.payload = payload;
        this.timeoutNs = timeoutNs;
        this.waitNs = waitNs;
        this.future = future;
        this.dataOnly = dataOnly;
    }

    /** @return the future the I/O thread completes: a JobResult (or its bytes), a Long pid, or a status String */
    public CompletableFuture<Object> future() {
        return future;
    }

    void succeed(Object value) {
        future.complete(dataOnly && value instanceof JobResult result ? result.data() : value);
    }

    void fail(Throwable error) {
        future.completeExceptionally(error);
    }
}
