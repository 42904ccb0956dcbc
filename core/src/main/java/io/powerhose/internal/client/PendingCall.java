package io.powerhose.internal.client;

import io.powerhose.JobResult;
import io.powerhose.internal.metrics.ClientMetrics;

import java.util.concurrent.CompletableFuture;

/**
 * One call of a client: created by a caller thread, then owned by the client I/O thread, which sends it when the
 * connection takes it, assigns its request id, and completes its future exactly once, directly: the future is either
 * private to the client or a {@link CallbackFuture}, so no user code runs on the I/O thread. Its deadline starts when
 * it is created (at {@code submit}), not when it is sent. The call lets go of its payload once sent (a retryable job
 * of a client with several brokers keeps it until it finishes, to be sent again once) and of its future
 * once completed, and gives its room back to the {@link CallLimit} then: the deadline queue may keep finished calls
 * for a while, and must not keep their payloads and results alive that long.
 */
public final class PendingCall {
    /** What the call asks. */
    public enum Kind { JOB, PING, STATUS }

    final Kind kind;
    final int payloadLength;
    /** The call's expected time: a reply later than this counts as an overflow (docs/PROTOCOL.md, "Words"). */
    final long expectedNs;
    final long waitNs;
    final boolean dataOnly;
    final boolean retryable;
    final long submitNs;
    final long deadlineNs;
    private byte[] payload;
    private CompletableFuture<Object> future;
    private CallLimit limit;
    /** Where a job call's end is recorded; set by the conductor before the call can end. */
    ClientMetrics metrics = ClientMetrics.NONE;
    long requestId;
    boolean sent;
    /** The broker link it was sent on (the I/O thread's); null until sent. */
    FrontendLink link;
    /** Set once a retryable call was sent again after its broker was lost: it is not sent a third time. */
    boolean resent;

    /**
     * Creates a call.
     *
     * @param kind what it asks
     * @param payload the job payload (JOB only)
     * @param expectedNs the call's expected time, for the overflow rule
     * @param waitNs how long the caller waits in all, from now
     * @param retryable ask the broker for one retry if the worker running the job is lost
     * @param future the future to complete on the I/O thread: either private to the client (no user stage
     *               can be attached to it) or a {@link CallbackFuture}, whose stages run on its executor
     * @param dataOnly complete a JOB with its result bytes instead of the whole {@code JobResult}
     * @param nowNs the client clock's time now: the deadline is {@code nowNs + waitNs}
     */
    public PendingCall(Kind kind, byte[] payload, long expectedNs, long waitNs, boolean retryable,
                       CompletableFuture<Object> future, boolean dataOnly, long nowNs) {
        this.kind = kind;
        this.payload = payload;
        this.payloadLength = payload == null ? 0 : payload.length;
        this.expectedNs = expectedNs;
        this.waitNs = waitNs;
        this.retryable = retryable;
        this.future = future;
        this.dataOnly = dataOnly;
        this.submitNs = nowNs;
        this.deadlineNs = nowNs + waitNs;
    }

    /** Counts the call against a limit until it finishes; the caller has acquired its room. */
    void holdRoomIn(CallLimit callLimit) {
        this.limit = callLimit;
    }

    /** @return the payload, still held until the call is sent */
    byte[] payload() {
        return payload;
    }

    /**
     * Records that libzmq has taken the call on a link, and lets go of the payload unless it may be sent again.
     *
     * @param on the link it went on
     * @param keepPayload true for a retryable job of a client with several brokers, which is sent again once to
     *                    another broker when this one is lost
     */
    void onSent(FrontendLink on, boolean keepPayload) {
        if (!keepPayload) {
            payload = null;
        }
        link = on;
        sent = true;
    }

    /** Makes a call that was in flight on a lost broker wait to be sent again: a new request id, on another link. */
    void onResend() {
        resent = true;
        sent = false;
        link = null;
        requestId = 0;
    }

    /** @return true once completed, failed, expired or cancelled */
    boolean isFinished() {
        return future == null;
    }

    /** @return true when its caller cancelled it (and it is not finished yet) */
    boolean isCancelled() {
        CompletableFuture<Object> target = future;
        return target != null && target.isCancelled();
    }

    void succeed(Object value) {
        CompletableFuture<Object> target = finish(null);
        if (target != null) {
            target.complete(dataOnly && value instanceof JobResult result ? result.data() : value);
        }
    }

    void fail(Throwable error) {
        CompletableFuture<Object> target = finish(error);
        if (target != null) {
            target.completeExceptionally(error);
        }
    }

    private CompletableFuture<Object> finish(Throwable error) {
        CompletableFuture<Object> target = future;
        if (target != null) {
            future = null;
            if (kind == Kind.JOB) {
                metrics.onCallEnded(submitNs, error, target.isCancelled());
            }
            payload = null;
            if (limit != null) {
                limit.release(payloadLength);
                limit = null;
            }
        }
        return target;
    }
}
