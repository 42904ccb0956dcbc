package io.powerhose.internal.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The payload of a REPLY whose status is not {@link ReplyStatus#OK}, typed (docs/PROTOCOL.md, "Statuses"): the
 * broker encodes each refusal here and the client decodes it here, so that neither side compares or parses text
 * elsewhere. The wire is the seed's: digits for BUSY and TOO_LARGE, a fixed text for NO_WORKER, "Class: message"
 * for a worker's ERROR. Pure; any thread.
 */
public final class ReplyDetail {
    /** A number the sender did not give or that did not parse. */
    public static final long UNKNOWN = -1;

    private ReplyDetail() {
    }

    /** Why the broker answered {@link ReplyStatus#NO_WORKER}. */
    public enum NoWorker {
        /** No worker registered during the broker's no-worker grace. */
        NONE_REGISTERED("No worker"),
        /** The broker is stopping and takes no new job. */
        BROKER_STOPPING("broker stopping"),
        /** Another text (a broker of another implementation). */
        OTHER("");

        private final String text;

        NoWorker(String text) {
            this.text = text;
        }

        /** @return the payload text, as sent */
        public String text() {
            return text;
        }

        /** @return the payload */
        public byte[] encode() {
            return text.getBytes(StandardCharsets.UTF_8);
        }

        /**
         * Reads a NO_WORKER payload.
         *
         * @param payload the payload
         * @return the reason, {@link #OTHER} when the text is none of ours
         */
        public static NoWorker decode(byte[] payload) {
            String text = new String(payload, StandardCharsets.UTF_8);
            for (NoWorker reason : values()) {
                if (reason != OTHER && reason.text.equals(text)) {
                    return reason;
                }
            }
            return OTHER;
        }
    }

    /**
     * A worker's ERROR payload, {@code "Class: message"} or plain text.
     *
     * @param remoteType the class name of the error raised in the worker, or "" when the text names none
     * @param remoteMessage the message
     * @param text the whole payload as text
     */
    public record Failure(String remoteType, String remoteMessage, String text) {
        /**
         * Reads an ERROR payload: a head before the first {@code ": "} that has no white space is the class name.
         *
         * @param payload the payload
         * @return the failure
         */
        public static Failure decode(byte[] payload) {
            String text = new String(payload, StandardCharsets.UTF_8);
            int colon = text.indexOf(": ");
            String head = colon > 0 ? text.substring(0, colon) : "";
            boolean typed = !head.isEmpty() && head.chars().noneMatch(Character::isWhitespace);
            return new Failure(typed ? head : "", typed ? text.substring(colon + 2) : text, text);
        }
    }

    /**
     * Encodes a count or a limit as the digits BUSY (jobs queued) and TOO_LARGE (the limit in bytes) carry.
     *
     * @param value the number
     * @return the payload
     */
    public static byte[] encodeNumber(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads the digits of a BUSY or TOO_LARGE payload.
     *
     * @param payload the payload
     * @return the number, or {@link #UNKNOWN} when the payload is not digits
     */
    public static long decodeNumber(byte[] payload) {
        if (payload.length == 0 || payload.length > 18) {
            return UNKNOWN;
        }
        long value = 0;
        for (byte b : payload) {
            if (b < '0' || b > '9') {
                return UNKNOWN;
            }
            value = value * 10 + (b - '0');
        }
        return value;
    }

    /**
     * Reads a payload that is a message (EXPIRED, WORKER_LOST, INVALID).
     *
     * @param payload the payload
     * @return the text
     */
    public static String decodeText(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
