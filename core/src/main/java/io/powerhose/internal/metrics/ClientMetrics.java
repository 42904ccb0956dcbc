package io.powerhose.internal.metrics;

/**
 * What a client records: each job call's outcome and round trip, late replies, and the jobs it holds. Called on
 * the client's I/O thread and on caller threads (a call refused at once ends on its caller's thread).
 */
public interface ClientMetrics {
    /** Records nothing: a client's metrics when no registry was given. */
    ClientMetrics NONE = new ClientMetrics() {
        @Override
        public void onCallEnded(long submitNs, Throwable error, boolean cancelled) {
        }

        @Override
        public void onLateReply() {
        }

        @Override
        public void close() {
        }
    };

    /**
     * A job call ended, one way or another (answered, failed, timed out, cancelled).
     *
     * @param submitNs when it was submitted ({@code System.nanoTime()})
     * @param error why it failed, or null when it succeeded
     * @param cancelled whether its caller cancelled it
     */
    void onCallEnded(long submitNs, Throwable error, boolean cancelled);

    /** A reply came for a call that had already ended; it was dropped. */
    void onLateReply();

    /** The client closed: it no longer counts in the calls in flight. */
    void close();

    /**
     * The outcome tag of a call that ended: {@code ok}, or the kind of failure.
     *
     * @param error why it failed, or null
     * @param cancelled whether it was cancelled
     * @return the tag value
     */
    static String outcome(Throwable error, boolean cancelled) {
        if (cancelled) {
            return "cancelled";
        }
        if (error == null) {
            return "ok";
        }
        return switch (error.getClass().getSimpleName()) {
            case "JobFailedException" -> "error";
            case "JobTimeoutException" -> "timeout";
            case "NoWorkerException" -> "no_worker";
            case "WorkerLostException" -> "worker_lost";
            case "BrokerBusyException" -> "busy";
            case "ClientBusyException" -> "client_busy";
            case "BrokerLostException" -> "broker_lost";
            case "JobTooLargeException" -> "too_large";
            default -> "failed";
        };
    }
}
