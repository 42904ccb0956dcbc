package io.powerhose;

/**
 * The client already held as many jobs as it may ({@link ClientOptions#maxPendingCalls()}), or as many payload
 * bytes ({@link ClientOptions#maxPendingBytes()}), so the job was refused at once, without being sent (backpressure).
 * A job counts from {@code submit} until its future completes. Act on it as on {@link BrokerBusyException}: retry
 * later, slow down, or raise the bound. It has no stack trace of its own (a flood of refusals must stay cheap);
 * {@code execute} adds the caller's as a suppressed exception.
 */
public final class ClientBusyException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final String limitName;
    private final long limit;

    /**
     * Creates the exception.
     *
     * @param limitName the setting that refused the job: {@code maxPendingCalls} or {@code maxPendingBytes}
     * @param limit its value
     */
    public ClientBusyException(String limitName, long limit) {
        super("client busy: " + limitName + "=" + limit + " reached by the jobs this client already holds "
            + "(submitted and not yet completed); the job was not sent", null, true, false);
        this.limitName = limitName;
        this.limit = limit;
    }

    /** @return the setting that refused the job: {@code maxPendingCalls} or {@code maxPendingBytes} */
    public String limitName() {
        return limitName;
    }

    /** @return the value of that setting */
    public long limit() {
        return limit;
    }
}
