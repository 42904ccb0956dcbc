package io.powerhose;

/**
 * Every worker was busy and the broker's queue was full, so the job was refused at once (backpressure).
 */
public final class BrokerBusyException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final int queueBound;

    /**
     * Creates the exception.
     *
     * @param queueBound the broker's queue bound, or -1 when the broker did not say
     */
    public BrokerBusyException(int queueBound) {
        super("broker busy: all workers busy and " + queueBound + " jobs already queued");
        this.queueBound = queueBound;
    }

    /** @return the broker's queue bound, or -1 when unknown */
    public int queueBound() {
        return queueBound;
    }
}
