package io.powerhose;

/**
 * No worker was registered with the broker during its no-worker grace period.
 */
public final class NoWorkerException extends PowerhoseException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the broker's explanation
     */
    public NoWorkerException(String message) {
        super(message);
    }
}
