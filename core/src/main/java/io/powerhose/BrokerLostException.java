package io.powerhose;

/**
 * The connection to the broker dropped while the job was in flight (the broker stopped or restarted).
 * The job may or may not have run. Later calls on the same client work again once a broker is back.
 */
public final class BrokerLostException extends PowerhoseException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was lost
     */
    public BrokerLostException(String message) {
        super(message);
    }
}
