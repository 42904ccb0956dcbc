package io.powerhose.internal.zmq;

import io.powerhose.ConfigurationException;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * CURVE keys and Z85 text through libzmq ({@code zmq_curve_keypair}, {@code zmq_curve_public},
 * {@code zmq_z85_encode/decode}), for the commands that make keys and the code that reads them. Stateless;
 * any thread.
 */
public final class Curve {
    /** Length of a CURVE key in Z85 text. */
    public static final int KEY_Z85_LENGTH = 40;
    /** Length of a CURVE key in bytes. */
    public static final int KEY_BYTES = 32;

    static {
        NativeLibrary.load();
    }

    private Curve() {
    }

    /**
     * A CURVE key pair in Z85 text. {@link #toString()} does not show the secret key.
     *
     * @param publicKey the public key, 40 characters of Z85
     * @param secretKey the secret key, 40 characters of Z85
     */
    public record KeyPair(String publicKey, String secretKey) {
        @Override
        public String toString() {
            return "KeyPair[publicKey=" + publicKey + ", secretKey=(hidden)]";
        }
    }

    /**
     * Makes a new key pair.
     *
     * @return the pair
     * @throws ConfigurationException when libzmq was built without CURVE (libsodium)
     */
    public static KeyPair newKeyPair() {
        byte[] publicKey = new byte[KEY_Z85_LENGTH];
        byte[] secretKey = new byte[KEY_Z85_LENGTH];
        int rc = Native.curveKeypair(publicKey, secretKey);
        if (rc != 0) {
            throw unsupportedOr("zmq_curve_keypair", rc);
        }
        return new KeyPair(ascii(publicKey), ascii(secretKey));
    }

    /**
     * Derives the public key of a secret key.
     *
     * @param secretKey 40 characters of Z85
     * @return the public key, 40 characters of Z85
     * @throws ConfigurationException when the text is not a Z85 key, or libzmq has no CURVE
     */
    public static String publicKeyOf(String secretKey) {
        byte[] secret = z85Text(secretKey, "secretKey");
        if (secret.length != KEY_Z85_LENGTH) {
            throw new ConfigurationException("a CURVE secret key is " + KEY_Z85_LENGTH + " characters of Z85, not "
                + secret.length);
        }
        byte[] publicKey = new byte[KEY_Z85_LENGTH];
        int rc = Native.curvePublic(secret, publicKey);
        if (rc != 0) {
            throw unsupportedOr("zmq_curve_public (a secret key of 40 characters)", rc);
        }
        return ascii(publicKey);
    }

    /**
     * Encodes bytes as Z85.
     *
     * @param data a multiple of 4 bytes
     * @return the text, 5 characters per 4 bytes
     * @throws IllegalArgumentException when the length is not a multiple of 4
     */
    public static String z85Encode(byte[] data) {
        Objects.requireNonNull(data, "data");
        if (data.length % 4 != 0) {
            throw new IllegalArgumentException("Z85 encodes a multiple of 4 bytes, not " + data.length);
        }
        byte[] text = new byte[data.length / 4 * 5];
        int rc = Native.z85Encode(data, text);
        if (rc != 0) {
            throw Native.failure("zmq_z85_encode (" + data.length + " bytes)", rc);
        }
        return ascii(text);
    }

    /**
     * Decodes Z85 text.
     *
     * @param text a multiple of 5 characters of Z85
     * @return the bytes, 4 per 5 characters
     * @throws ConfigurationException when the text is not Z85 (wrong length or character)
     */
    public static byte[] z85Decode(String text) {
        byte[] chars = z85Text(text, "text");
        if (chars.length % 5 != 0) {
            throw new ConfigurationException("Z85 text is a multiple of 5 characters, not " + chars.length);
        }
        byte[] data = new byte[chars.length / 5 * 4];
        int rc = Native.z85Decode(chars, data);
        if (rc != 0) {
            throw Native.failure("zmq_z85_decode: not Z85 text (" + chars.length + " characters)", rc);
        }
        return data;
    }

    private static byte[] z85Text(String text, String name) {
        Objects.requireNonNull(text, name);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new ConfigurationException(name + " is not Z85: character " + (int) c + " at " + i);
            }
        }
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static RuntimeException unsupportedOr(String what, int rc) {
        if (rc == Native.ENOTSUP) {
            return new ConfigurationException(what + ": this libzmq was built without CURVE (libsodium); Debian's"
                + " libzmq5 has it");
        }
        return Native.failure(what, rc);
    }

    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
