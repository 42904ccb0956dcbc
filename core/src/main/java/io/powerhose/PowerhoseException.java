package io.powerhose;

/**
 * The root of every exception Powerhose throws. Unchecked, because results travel through
 * {@link java.util.concurrent.CompletableFuture} and lambdas; catch a subclass to act on one cause.
 */
public class PowerhoseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong, naming the values involved
     */
    public PowerhoseException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public PowerhoseException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates an exception that may skip its stack trace, for failures that are expected in bulk (a flood of
     * refused jobs), where a stack trace per failure would cost more than the work refused.
     *
     * @param message what went wrong
     * @param cause the underlying failure, or null
     * @param enableSuppression whether suppressed exceptions are recorded
     * @param writableStackTrace whether the stack trace is filled in
     */
    protected PowerhoseException(String message, Throwable cause, boolean enableSuppression,
                                 boolean writableStackTrace) {
        super(message, cause, enableSuppression, writableStackTrace);
    }
}
