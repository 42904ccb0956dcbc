package io.powerhose.internal.broker;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * What the broker counts, shown by STATUS (and, through the published {@link io.powerhose.BrokerStatus}, by the
 * metrics). Written and read on the broker thread only.
 */
public final class BrokerCounters {
    long jobsReceived;
    long jobsRouted;
    long jobsOk;
    long jobsError;
    long jobsBusy;
    long jobsExpired;
    long jobsNoWorker;
    long jobsWorkerLost;
    long workersLost;
    long lateReplies;
    long repliesUndeliverable;
    long framesDropped;
    long refusals;
    long workersClamped;
    long repliesTooLarge;
    long connectionsClosed;
    long frontendDroppedFull;
    long backendDroppedFull;
    long internalErrors;
    long jobsRetried;
    long jobsCancelledQueued;
    long jobsCancelledRunning;
    long cancelsUnmatched;
    long jobsTooLarge;
    long frontendBytesIn;
    long frontendBytesOut;
    long backendBytesIn;
    long backendBytesOut;
    /** "curve" or "none": the mechanism of the broker's sockets (set once, at start). */
    String security = "none";
    long authAllowed;
    long authDeniedClients;
    long authDeniedWorkers;
    long authMalformed;
    long handshakeFailures;
    long allowListReloads;

    /** @return messages dropped as malformed */
    public long framesDropped() {
        return framesDropped;
    }

    /** Counts a message to a client dropped because the client's queue was at the high-water mark. */
    void onFrontendFull() {
        frontendDroppedFull++;
    }

    /** Counts a message to a worker dropped because the worker's queue was at the high-water mark. */
    void onBackendFull() {
        backendDroppedFull++;
    }

    /** Counts a message that could not be received whole (a frame the heap could not hold): dropped unanswered. */
    void onUnreadable() {
        framesDropped++;
    }

    /** Counts the bytes of a message received whole (frames after the routing id). */
    void onReceived(boolean fromWorker, long bytes) {
        if (fromWorker) {
            backendBytesIn += bytes;
        } else {
            frontendBytesIn += bytes;
        }
    }

    /** Counts the bytes of a message libzmq took (frames after the routing id). */
    void onSent(boolean toWorker, long bytes) {
        if (toWorker) {
            backendBytesOut += bytes;
        } else {
            frontendBytesOut += bytes;
        }
    }

    /** Counts an exception the broker loop caught (a bug, not a peer's fault: those are frames_dropped). */
    void onInternalError() {
        internalErrors++;
    }

    /** Hands each counter to {@code action} with its STATUS key, in STATUS order. */
    void forEach(ObjLongConsumer<String> action) {
        action.accept("jobs_received", jobsReceived);
        action.accept("jobs_routed", jobsRouted);
        action.accept("jobs_ok", jobsOk);
        action.accept("jobs_error", jobsError);
        action.accept("jobs_busy", jobsBusy);
        action.accept("jobs_expired", jobsExpired);
        action.accept("jobs_no_worker", jobsNoWorker);
        action.accept("jobs_worker_lost", jobsWorkerLost);
        action.accept("workers_lost", workersLost);
        action.accept("late_replies", lateReplies);
        action.accept("replies_undeliverable", repliesUndeliverable);
        action.accept("frames_dropped", framesDropped);
        action.accept("refusals", refusals);
        action.accept("workers_clamped", workersClamped);
        action.accept("replies_too_large", repliesTooLarge);
        action.accept("connections_closed", connectionsClosed);
        action.accept("frontend_dropped_full", frontendDroppedFull);
        action.accept("backend_dropped_full", backendDroppedFull);
        action.accept("internal_errors", internalErrors);
        action.accept("jobs_retried", jobsRetried);
        action.accept("jobs_cancelled_queued", jobsCancelledQueued);
        action.accept("jobs_cancelled_running", jobsCancelledRunning);
        action.accept("cancels_unmatched", cancelsUnmatched);
        action.accept("jobs_too_large", jobsTooLarge);
        action.accept("frontend_bytes_in", frontendBytesIn);
        action.accept("frontend_bytes_out", frontendBytesOut);
        action.accept("backend_bytes_in", backendBytesIn);
        action.accept("backend_bytes_out", backendBytesOut);
        action.accept("auth_allowed", authAllowed);
        action.accept("auth_denied_clients", authDeniedClients);
        action.accept("auth_denied_workers", authDeniedWorkers);
        action.accept("auth_malformed", authMalformed);
        action.accept("handshake_failures", handshakeFailures);
        action.accept("allow_list_reloads", allowListReloads);
    }

    /** @return every counter by its STATUS key, in STATUS order (a copy) */
    Map<String, Long> toMap() {
        Map<String, Long> map = new LinkedHashMap<>(64);
        forEach(map::put);
        return map;
    }

    void appendTo(StringBuilder out) {
        forEach((key, value) -> out.append(key).append('=').append(value).append('\n'));
        out.append("security=").append(security).append('\n');
    }
}
