package io.powerhose.internal.client;

import io.powerhose.JobResult;

import java.util.concurrent.CompletableFuture;

/**
 * One call waiting for the broker: created by a caller thread, then owned by the client I/O thread, which
 * assigns its request id, sends it, and completes its future exactly once, directly: the future is either
 * private to the client or a {@link CallbackFuture}, so no user code runs on the I/O thread. The call lets go
 * of its payload once sent and of its future once completed: the deadline queue keeps answered calls until
 * their deadline, and must not keep their payloads and results alive that long.
 */
public final class PendingCall {
    /** What the call asks. */
    public enum Kind { JOB, PING, STATUS }

    final Kind kind;
    final int payloadLength;
    final long timeoutNs;
    final long waitNs;
    final boolean dataOnly;
    private byte[] payload;
    private CompletableFuture<Object> future;
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
        this.payloadLength = payload == null ? 0 : payload.length;
        this.timeoutNs = timeoutNs;
        this.waitNs = waitNs;
        this.future = future;
        this.dataOnly = dataOnly;
    }

    /** @return the payload to send, once: the call keeps only its length afterwards */
    byte[] takePayload() {
        byte[] taken = payload;
        payload = null;
        return taken;
    }

    void succeed(Object value) {
        CompletableFuture<Object> target = future;
        future = null;
        if (target != null) {
            target.complete(dataOnly && value instanceof JobResult result ? result.data() : value);
        }
    }

    void fail(Throwable error) {
        CompletableFuture<Object> target = future;
        future = null;
        if (target != null) {
            target.completeExceptionally(error);
        }
    }
}
