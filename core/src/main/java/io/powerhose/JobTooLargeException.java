package io.powerhose;

/**
 * A job is larger than the limit of the client or the broker; it was not run.
 */
public final class JobTooLargeException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final long sizeBytes;
    private final long limitBytes;

    /**
     * Creates the exception.
     *
     * @param sizeBytes the serialized job size, or -1 when the broker did not say
     * @param limitBytes the limit
     */
    public JobTooLargeException(long sizeBytes, long limitBytes) {
        super("job too large: " + (sizeBytes >= 0 ? sizeBytes + " bytes > " : "over ") + "limit of " + limitBytes
            + " bytes");
        this.sizeBytes = sizeBytes;
        this.limitBytes = limitBytes;
    }

    /** @return the job's size in bytes, or -1 when unknown */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** @return the limit in bytes */
    public long limitBytes() {
        return limitBytes;
    }
}
