package io.powerhose.internal.protocol;

import io.powerhose.ProtocolException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes and decodes the job payload {@code <headers>:::<data>} of docs/PROTOCOL.md, "The job payload".
 * Pure functions, no state: safe from any thread.
 */
public final class JobCodec {
    private static final byte COLON = ':';
    private static final byte BACKSLASH = '\\';
    private static final byte[] NONE_PREFIX = "NONE:::".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEPARATOR = ":::".getBytes(StandardCharsets.US_ASCII);

    private JobCodec() {
    }

    /** A decoded job payload: headers in wire order, and the raw data. */
    public record Decoded(Map<String, String> headers, byte[] data) {
    }

    /**
     * Serializes headers and data.
     *
     * @param headers the headers, in the order to write them
     * @param data the raw data
     * @return the payload
     * @throws IllegalArgumentException when a name or value is not valid Unicode (an unpaired surrogate) or contains
     *     NUL
     */
    public static byte[] encode(Map<String, String> headers, byte[] data) {
        if (headers.isEmpty()) {
            byte[] out = Arrays.copyOf(NONE_PREFIX, NONE_PREFIX.length + data.length);
            System.arraycopy(data, 0, out, NONE_PREFIX.length, data.length);
            return out;
        }
        StringBuilder text = new StringBuilder(32 * headers.size());
        boolean first = true;
        for (Map.Entry<String, String> header : headers.entrySet()) {
            if (!first) {
                text.append("::");
            }
            first = false;
            escape(text, header.getKey(), true);
            text.append(':');
            escape(text, header.getValue(), false);
        }
        byte[] head = strictUtf8(text);
        byte[] out = new byte[head.length + SEPARATOR.length + data.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(SEPARATOR, 0, out, head.length, SEPARATOR.length);
        System.arraycopy(data, 0, out, head.length + SEPARATOR.length, data.length);
        return out;
    }

    /**
     * Parses a payload.
     *
     * @param payload the payload bytes
     * @return the headers and data
     * @throws ProtocolException when the payload is malformed, saying where
     */
    public static Decoded decode(byte[] payload) {
        if (startsWith(payload, NONE_PREFIX)) {
            return new Decoded(new LinkedHashMap<>(), Arrays.copyOfRange(payload, NONE_PREFIX.length, payload.length));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        ByteArrayOutputStream token = new ByteArrayOutputStream(32);
        int i = 0;
        while (true) {
            i = readToken(payload, i, token, "header name");
            String name = utf8(token, "header name");
            i++; // the one ':' between name and value
            i = readToken(payload, i, token, "header value");
            String value = utf8(token, "header value");
            headers.put(name, value);
            int run = 0;
            while (i + run < payload.length && payload[i + run] == COLON) {
                run++;
            }
            if (run == 2) {
                i += 2;
            } else if (run >= 3) {
                i += 3;
                return new Decoded(headers, Arrays.copyOfRange(payload, i, payload.length));
            } else {
                throw new ProtocolException("job headers", "a single ':' after the value of header '" + name
                    + "' at byte " + i + " (expected '::' or ':::')");
            }
        }
    }

    /** Reads one escaped token up to the next unescaped ':' and returns that colon's index. */
    private static int readToken(byte[] payload, int start, ByteArrayOutputStream token, String what) {
        token.reset();
        int i = start;
        while (i < payload.length) {
            byte b = payload[i];
            if (b == COLON) {
                return i;
            }
            if (b == BACKSLASH) {
                if (i + 1 >= payload.length) {
                    throw new ProtocolException("job headers", "'\\' at the end of the payload in a " + what);
                }
                byte next = payload[i + 1];
                boolean emptyMark = next == '0' && i == start && (i + 2 >= payload.length || payload[i + 2] == COLON);
                if (!emptyMark) {
                    // "\0" alone is the empty string; anywhere else, as any "\c", it is the character itself
                    token.write(checkNotNul(next, what, i + 1));
                }
                i += 2;
            } else {
                token.write(checkNotNul(b, what, i));
                i++;
            }
        }
        throw new ProtocolException("job headers", "no ':::' ends the headers (payload of " + payload.length
            + " bytes ends inside a " + what + ")");
    }

    private static byte checkNotNul(byte b, String what, int index) {
        if (b == 0) {
            throw new ProtocolException("job headers", "a NUL byte in a " + what + " at byte " + index);
        }
        return b;
    }

    private static void escape(StringBuilder out, String s, boolean isName) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a header name or value may not contain NUL: " + s.replace("\0", "\\0"));
        }
        if (s.isEmpty()) {
            out.append("\\0");
            return;
        }
        if (isName && s.equals("NONE")) {
            out.append("\\NONE");
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ':' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
    }

    private static byte[] strictUtf8(CharSequence text) {
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .encode(CharBuffer.wrap(text));
            byte[] out = new byte[encoded.remaining()];
            encoded.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a header name or value is not valid Unicode: " + e.getMessage(), e);
        }
    }

    private static String utf8(ByteArrayOutputStream token, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(token.toByteArray()))
                .toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException("job headers", "a " + what + " is not valid UTF-8");
        }
    }

    private static boolean startsWith(byte[] payload, byte[] prefix) {
        if (payload.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (payload[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
