package io.powerhose.internal.protocol;

import io.powerhose.ProtocolException;

import java.nio.charset.StandardCharsets;

/**
 * Small helpers shared by the codecs: ASCII numbers, ids and frame checks. Pure functions.
 */
public final class Frames {
    /** The longest request or job id, in bytes. */
    public static final int MAX_ID_BYTES = 255;
    /** An empty frame. */
    public static final byte[] EMPTY = new byte[0];

    private Frames() {
    }

    /**
     * Writes a number as ASCII decimal.
     *
     * @param value a value of 0 or more
     * @return the frame
     */
    public static byte[] decimal(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads an ASCII decimal number of 0 or more, with no sign or padding rules beyond digits only.
     *
     * @param frame the frame
     * @param what the field's name, for the error
     * @return the value
     * @throws ProtocolException when the frame is not 1 to 18 digits
     */
    public static long parseDecimal(byte[] frame, String what) {
        if (frame.length == 0 || frame.length > 18) {
            throw new ProtocolException(what, "expected 1 to 18 ASCII digits, got " + frame.length + " bytes");
        }
        long value = 0;
        for (byte b : frame) {
            if (b < '0' || b > '9') {
                throw new ProtocolException(what, "expected ASCII digits, got " + printable(frame));
            }
            value = value * 10 + (b - '0');
        }
        return value;
    }

    /**
     * Checks an id frame (request id or job id).
     *
     * @param frame the frame
     * @param what the field's name
     * @return the frame
     */
    public static byte[] checkId(byte[] frame, String what) {
        if (frame.length == 0 || frame.length > MAX_ID_BYTES) {
            throw new ProtocolException(what, "must be 1 to " + MAX_ID_BYTES + " bytes, got " + frame.length);
        }
        return frame;
    }

    /**
     * Checks the frame count of a message.
     *
     * @param frames the frames
     * @param min the least count
     * @param max the largest count
     * @param what the message's name
     */
    public static void checkCount(byte[][] frames, int min, int max, String what) {
        if (frames.length < min || frames.length > max) {
            String expected = min == max ? Integer.toString(min) : min + " to " + max;
            throw new ProtocolException(what, "expected " + expected + " frames, got " + frames.length);
        }
    }

    /**
     * Checks the command frame: exactly one byte.
     *
     * @param frame the frame
     * @return the command
     */
    public static Command command(byte[] frame) {
        if (frame.length != 1) {
            throw new ProtocolException("command", "expected 1 byte, got " + frame.length);
        }
        return Command.fromWire(frame[0]);
    }

    /**
     * Renders a frame for a log line: text when it is printable ASCII, hex otherwise, cut at 64 bytes.
     *
     * @param frame the frame
     * @return a short printable rendering
     */
    public static String printable(byte[] frame) {
        int n = Math.min(frame.length, 64);
        boolean text = true;
        for (int i = 0; i < n; i++) {
            if (frame[i] < 0x20 || frame[i] > 0x7e) {
                text = false;
                break;
            }
        }
        StringBuilder out = new StringBuilder(n * 2 + 8);
        if (text) {
            out.append('"').append(new String(frame, 0, n, StandardCharsets.US_ASCII)).append('"');
        } else {
            out.append("0x");
            for (int i = 0; i < n; i++) {
                out.append(Character.forDigit((frame[i] >> 4) & 0xf, 16))
                    .append(Character.forDigit(frame[i] & 0xf, 16));
            }
        }
        if (frame.length > n) {
            out.append("...(").append(frame.length).append(" bytes)");
        }
        return out.toString();
    }

    /**
     * Compares a frame with an ASCII constant.
     *
     * @param frame the frame
     * @param constant the constant bytes
     * @return true when equal
     */
    public static boolean is(byte[] frame, byte[] constant) {
        return java.util.Arrays.equals(frame, constant);
    }

    /**
     * Writes a numeric id as 8 bytes, big-endian.
     *
     * @param id the id
     * @return the frame
     */
    public static byte[] longId(long id) {
        byte[] out = new byte[8];
        for (int i = 7; i >= 0; i--) {
            out[i] = (byte) id;
            id >>>= 8;
        }
        return out;
    }

    /**
     * Reads an id written by {@link #longId(long)}.
     *
     * @param frame an 8-byte frame
     * @return the id
     */
    public static long parseLongId(byte[] frame) {
        long value = 0;
        for (byte b : frame) {
            value = (value << 8) | (b & 0xff);
        }
        return value;
    }
}
