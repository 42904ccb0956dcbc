package io.powerhose;

/**
 * A ZeroMQ call failed for a reason other than the expected ones (a full queue, an unknown peer): the socket
 * was closed or its context terminated, memory ran out, or libzmq reported another error. Carries libzmq's
 * error number and its text.
 */
public final class TransportException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final int errorCode;

    /**
     * Creates the exception.
     *
     * @param message what failed, with libzmq's text for the error
     * @param errorCode the errno libzmq reported (e.g. 88, ENOTSOCK, for a closed socket)
     */
    public TransportException(String message, int errorCode) {
        super(message);
        this.errorCode = errorCode;
    }

    /** @return the errno libzmq reported */
    public int errorCode() {
        return errorCode;
    }
}
