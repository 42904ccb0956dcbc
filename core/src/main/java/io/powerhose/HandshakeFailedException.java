package io.powerhose;

/**
 * The security handshake with the broker failed, so the job was never sent: one side uses CURVE and the other does
 * not, the server key is not the broker's public key, or the broker's allow-list refused this side's key. The
 * message says which and what to change. The client keeps trying to connect (libzmq gives up after a refused
 * handshake; Powerhose connects again, backing off up to 10 s), and later calls work once the two sides agree:
 * while the last handshake failed, a call fails at once with this exception instead of waiting for its timeout.
 */
public final class HandshakeFailedException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final String endpoint;

    /**
     * Creates the exception.
     *
     * @param endpoint the broker's endpoint
     * @param message why the handshake failed and what to change
     */
    public HandshakeFailedException(String endpoint, String message) {
        super(message);
        this.endpoint = endpoint;
    }

    /** @return the endpoint whose handshake failed */
    public String endpoint() {
        return endpoint;
    }
}
