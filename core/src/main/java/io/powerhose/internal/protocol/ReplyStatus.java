package io.powerhose.internal.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The status frame of a REPLY (docs/PROTOCOL.md). Workers send only {@link #OK} and {@link #ERROR}.
 */
public enum ReplyStatus {
    OK, ERROR, NO_WORKER, BUSY, EXPIRED, WORKER_LOST, TOO_LARGE, INVALID;

    private final byte[] wire = name().getBytes(StandardCharsets.US_ASCII);

    /** @return the status as its wire frame (do not modify) */
    public byte[] wire() {
        return wire;
    }

    /**
     * Parses a status frame.
     *
     * @param frame the frame
     * @return the status, or null when the frame is no known status
     */
    public static ReplyStatus fromWire(byte[] frame) {
        for (ReplyStatus status : values()) {
            if (java.util.Arrays.equals(status.wire, frame)) {
                return status;
            }
        }
        return null;
    }
}
