package io.powerhose;

/**
 * Every worker was busy and the broker's queue was full (in jobs or in bytes), so the job was refused at once
 * (backpressure).
 */
public final class BrokerBusyException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final int queuedJobs;

    /**
     * Creates the exception.
     *
     * @param queuedJobs the jobs queued in the broker when it refused this one, or -1 when the broker did not say
     */
    public BrokerBusyException(int queuedJobs) {
        super("broker busy: all workers busy and " + queuedJobs + " jobs already queued");
        this.queuedJobs = queuedJobs;
    }

    /**
     * The BUSY answer's payload: the jobs queued in the broker when it refused this one. It is the broker's
     * {@code maxQueuedJobs} when the queue was full in jobs, and less when it was full in bytes.
     *
     * @return the jobs queued, or -1 when unknown
     */
    public int queuedJobs() {
        return queuedJobs;
    }
}
