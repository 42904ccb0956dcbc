package io.powerhose;

/**
 * A broker refused to start because a live broker already answers on its frontend.
 */
public final class DuplicateBrokerException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final String endpoint;
    private final long livePid;

    /**
     * Creates the exception.
     *
     * @param endpoint the frontend endpoint
     * @param livePid the pid of the broker that answers there, or -1 when it does not answer PING
     */
    public DuplicateBrokerException(String endpoint, long livePid) {
        super(livePid > 0
            ? "there is already a broker running on " + endpoint + " with pid " + livePid
            : "something listens on " + endpoint + " but does not answer PING"
                + " (a ghost broker? see powerhose-broker --purge-ghosts)");
        this.endpoint = endpoint;
        this.livePid = livePid;
    }

    /** @return the frontend endpoint */
    public String endpoint() {
        return endpoint;
    }

    /** @return the live broker's pid, or -1 when it did not answer */
    public long livePid() {
        return livePid;
    }
}
