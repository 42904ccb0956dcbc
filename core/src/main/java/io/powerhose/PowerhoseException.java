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
}
