package io.powerhose.internal.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One call waiting for the broker: created by a caller thread, then owned by the client I/O thread, which
 * assigns its request id, sends it, and completes its future exactly once.
 */
public final class PendingCall {
    /** What the call asks. */
    public enum Kind { JOB, PING, STATUS }

    final Kind kind;
    final byte[] payload;
    final long timeoutNs;
    final long waitNs;
    final CompletableFuture<Object> future = new CompletableFuture<>();
    final Executor completionExecutor;
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
     * @param completionExecutor where to complete the future, or null to complete it on the I/O thread
     *                           (only when no user code can be attached to it)
     */
    public PendingCall(Kind kind, byte[] payload, long timeoutNs, long waitNs, Executor completionExecutor) {
        this.kind = kind;
        this.payload = payload;
        this.timeoutNs = timeoutNs;
        this.waitNs = waitNs;
        this.completionExecutor = completionExecutor;
    }

    /** @return the future the I/O thread completes: a JobResult, a Long pid, or a status String */
    public CompletableFuture<Object> future() {
        return future;
    }

    void succeed(Object value) {
        if (completionExecutor == null) {
            future.complete(value);
        } else {
            completionExecutor.execute(() -> future.complete(value));
        }
    }

    void fail(Throwable error) {
        if (completionExecutor == null) {
            future.completeExceptionally(error);
        } else {
            completionExecutor.execute(() -> future.completeExceptionally(error));
        }
    }
}
