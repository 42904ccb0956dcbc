package io.powerhose;

import java.time.Duration;

/**
 * A job got no result in time: none came by the client's {@code timeoutMaxOverflow}, the job waited in
 * the broker queue past its deadline, or one worker overflowed {@code timeout} too many times in a row.
 */
public final class JobTimeoutException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final Duration timeout;
    private final Duration elapsed;

    /**
     * Creates the exception.
     *
     * @param message what timed out
     * @param timeout the limit that was passed
     * @param elapsed how long the call had been running
     */
    public JobTimeoutException(String message, Duration timeout, Duration elapsed) {
        super(message);
        this.timeout = timeout;
        this.elapsed = elapsed;
    }

    /** @return the limit that was passed */
    public Duration timeout() {
        return timeout;
    }

    /** @return how long the call had been running when it failed */
    public Duration elapsed() {
        return elapsed;
    }
}
