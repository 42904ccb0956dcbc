package io.powerhose.internal.broker;

/**
 * What the broker counts, shown by STATUS. Written and read on the broker thread only.
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
    /** "curve" or "none": the mechanism of the broker's sockets (set once, at start). */
    String security = "none";
    long authAllowed;
    long authDeniedClients;
    long authDeniedWorkers;
    long authMalformed;
    long handshakeFailures;
    long allowListReloads;

    /** @return jobs answered OK by a worker */
    public long jobsOk() {
        return jobsOk;
    }

    /** @return messages dropped as malformed */
    public long framesDropped() {
        return framesDropped;
    }

    /** @return replies that came after their job was answered or forgotten */
    public long lateReplies() {
        return lateReplies;
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

    /** Counts an exception the broker loop caught (a bug, not a peer's fault: those are frames_dropped). */
    void onInternalError() {
        internalErrors++;
    }

    void appendTo(StringBuilder out) {
        out.append("jobs_received=").append(jobsReceived).append('\n')
            .append("jobs_routed=").append(jobsRouted).append('\n')
            .append("jobs_ok=").append(jobsOk).append('\n')
            .append("jobs_error=").append(jobsError).append('\n')
            .append("jobs_busy=").append(jobsBusy).append('\n')
            .append("jobs_expired=").append(jobsExpired).append('\n')
            .append("jobs_no_worker=").append(jobsNoWorker).append('\n')
            .append("jobs_worker_lost=").append(jobsWorkerLost).append('\n')
            .append("workers_lost=").append(workersLost).append('\n')
            .append("late_replies=").append(lateReplies).append('\n')
            .append("replies_undeliverable=").append(repliesUndeliverable).append('\n')
            .append("frames_dropped=").append(framesDropped).append('\n')
            .append("refusals=").append(refusals).append('\n')
            .append("workers_clamped=").append(workersClamped).append('\n')
            .append("replies_too_large=").append(repliesTooLarge).append('\n')
            .append("connections_closed=").append(connectionsClosed).append('\n')
            .append("frontend_dropped_full=").append(frontendDroppedFull).append('\n')
            .append("backend_dropped_full=").append(backendDroppedFull).append('\n')
            .append("internal_errors=").append(internalErrors).append('\n')
            .append("jobs_retried=").append(jobsRetried).append('\n')
            .append("jobs_cancelled_queued=").append(jobsCancelledQueued).append('\n')
            .append("jobs_cancelled_running=").append(jobsCancelledRunning).append('\n')
            .append("cancels_unmatched=").append(cancelsUnmatched).append('\n')
            .append("security=").append(security).append('\n')
            .append("auth_allowed=").append(authAllowed).append('\n')
            .append("auth_denied_clients=").append(authDeniedClients).append('\n')
            .append("auth_denied_workers=").append(authDeniedWorkers).append('\n')
            .append("auth_malformed=").append(authMalformed).append('\n')
            .append("handshake_failures=").append(handshakeFailures).append('\n')
            .append("allow_list_reloads=").append(allowListReloads).append('\n');
    }
}
