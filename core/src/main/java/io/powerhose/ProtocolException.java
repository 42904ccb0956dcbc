package io.powerhose;

/**
 * A message or job payload does not follow docs/PROTOCOL.md.
 */
public final class ProtocolException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final String frame;

    /**
     * Creates the exception.
     *
     * @param frame which frame or field was wrong, e.g. {@code "job headers"}
     * @param problem what was wrong with it
     */
    public ProtocolException(String frame, String problem) {
        super(frame + ": " + problem);
        this.frame = frame;
    }

    /** @return which frame or field was wrong */
    public String frame() {
        return frame;
    }
}
