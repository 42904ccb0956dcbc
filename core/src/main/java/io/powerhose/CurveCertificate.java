package io.powerhose;

import io.powerhose.internal.zmq.Curve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A CURVE key pair, or a public key alone, as CurveZMQ uses them: 32-byte keys written as 40 characters of Z85.
 * The files are czmq's certificate text format, which pyzmq ({@code zmq.auth}) and czmq ({@code zcert}) read and
 * write too: {@code NAME.key} holds the public key, {@code NAME.key_secret} both keys and must be readable by its
 * owner only (mode 0600, as {@code powerhose-keygen} writes it).
 *
 * <pre>{@code
 * CurveCertificate broker = CurveCertificate.load(Path.of("/etc/powerhose/broker.key"));  // public key
 * CurveCertificate me = CurveCertificate.loadSecret(Path.of("/etc/powerhose/client.key_secret"));
 * Client client = new Client(ClientOptions.builder().frontend("tcp://broker:5555")
 *     .curveServerKey(broker).curveKey(me).build());
 * }</pre>
 *
 * <p><b>Note:</b> immutable and thread safe. {@link #toString()} never shows the secret key.
 */
public final class CurveCertificate {
    /** The suffix czmq and pyzmq add to a public key file's name for the secret key file. */
    public static final String SECRET_SUFFIX = "_secret";
    /** A key file larger than this is not a certificate. */
    private static final int MAX_FILE_BYTES = 64 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY =
        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private final String publicKey;
    private final String secretKey;
    private final Path file;

    private CurveCertificate(String publicKey, String secretKey, Path file) {
        this.publicKey = publicKey;
        this.secretKey = secretKey;
        this.file = file;
    }

    /**
     * Makes a new key pair (libzmq's {@code zmq_curve_keypair}).
     *
     * @return the pair, not saved anywhere
     * @throws ConfigurationException when libzmq was built without CURVE
     */
    public static CurveCertificate generate() {
        Curve.KeyPair pair = Curve.newKeyPair();
        return new CurveCertificate(pair.publicKey(), pair.secretKey(), null);
    }

    /**
     * A public key given as text, e.g. from a configuration service.
     *
     * @param publicKey 40 characters of Z85
     * @return the certificate, without a secret key
     * @throws ConfigurationException when the text is not a Z85 key
     */
    public static CurveCertificate ofPublicKey(String publicKey) {
        return new CurveCertificate(checkedKey(Objects.requireNonNull(publicKey, "publicKey"), "publicKey"), null,
            null);
    }

    /**
     * Reads a certificate file: a public one ({@code NAME.key}) or a secret one ({@code NAME.key_secret}, which
     * must be readable by its owner only, and whose public key must be the one of its secret key).
     *
     * @param file the file
     * @return the certificate, with a secret key when the file has one
     * @throws ConfigurationException naming the file: missing, unreadable, too open, or not a certificate
     */
    public static CurveCertificate load(Path file) {
        Objects.requireNonNull(file, "file");
        byte[] bytes = read(file);
        Parsed parsed = parse(file, new String(bytes, StandardCharsets.US_ASCII));
        if (parsed.secretKey != null) {
            checkOwnerOnly(file);
            if (!Curve.publicKeyOf(parsed.secretKey).equals(parsed.publicKey)) {
                throw new ConfigurationException(file + ": its public-key is not the public key of its secret-key;"
                    + " the file was edited or assembled from two certificates");
            }
        }
        return new CurveCertificate(parsed.publicKey, parsed.secretKey, file);
    }

    /**
     * Reads a key pair: {@code file} itself when it holds a secret key, else {@code file + "_secret"} next to it
     * (czmq's convention: give either {@code NAME.key} or {@code NAME.key_secret}).
     *
     * @param file the secret key file, or the public one next to it
     * @return the certificate, with its secret key
     * @throws ConfigurationException naming the file when neither holds a secret key, or as {@link #load(Path)}
     */
    public static CurveCertificate loadSecret(Path file) {
        Objects.requireNonNull(file, "file");
        Path secretFile = file;
        if (!file.getFileName().toString().endsWith(SECRET_SUFFIX) && !Files.exists(file)) {
            secretFile = secretFileOf(file);
        }
        CurveCertificate certificate = load(secretFile);
        if (certificate.hasSecretKey()) {
            return certificate;
        }
        Path next = secretFileOf(secretFile);
        if (Files.exists(next)) {
            CurveCertificate pair = load(next);
            if (pair.hasSecretKey()) {
                if (!pair.publicKey.equals(certificate.publicKey)) {
                    throw new ConfigurationException(next + " does not belong to " + secretFile
                        + ": their public keys differ");
                }
                return pair;
            }
        }
        throw new ConfigurationException(secretFile + " holds a public key only, and " + next + " is not there: give"
            + " the NAME.key_secret file that powerhose-keygen (or zmq.auth, or czmq) wrote");
    }

    /**
     * @param publicFile a public key file, {@code NAME.key}
     * @return the secret key file next to it, {@code NAME.key_secret}
     */
    public static Path secretFileOf(Path publicFile) {
        return publicFile.resolveSibling(publicFile.getFileName() + SECRET_SUFFIX);
    }

    /** @return the public key, 40 characters of Z85 */
    public String publicKey() {
        return publicKey;
    }

    /** @return whether this holds a secret key (a key pair) */
    public boolean hasSecretKey() {
        return secretKey != null;
    }

    /**
     * @return the secret key, 40 characters of Z85; keep it out of logs
     * @throws IllegalStateException when this holds a public key only
     */
    public String secretKey() {
        if (secretKey == null) {
            throw new IllegalStateException("this certificate holds the public key " + publicKey + " only");
        }
        return secretKey;
    }

    /** @return the file this was read from, or null when it was made in memory */
    public Path file() {
        return file;
    }

    /** @return the public key alone */
    public CurveCertificate publicOnly() {
        return secretKey == null ? this : new CurveCertificate(publicKey, null, null);
    }

    /**
     * Writes the certificate as czmq does: the public key to {@code publicFile}, and, for a key pair, both keys to
     * {@code publicFile + "_secret"}, created readable by its owner only. Neither file may exist yet.
     *
     * @param publicFile the public key file, {@code NAME.key}
     * @return the certificate as read back from what was written (its {@link #file()} set)
     * @throws ConfigurationException when a file exists already or cannot be written, naming it
     */
    public CurveCertificate save(Path publicFile) {
        Objects.requireNonNull(publicFile, "publicFile");
        Path secretFile = secretFileOf(publicFile);
        for (Path target : secretKey != null ? new Path[] {publicFile, secretFile} : new Path[] {publicFile}) {
            if (Files.exists(target)) {
                throw new ConfigurationException(target + " exists already: not overwritten");
            }
        }
        if (secretKey != null) {
            write(secretFile, text(true), true);
        }
        write(publicFile, text(false), false);
        return secretKey != null ? load(secretFile) : load(publicFile);
    }

    /**
     * @param secret whether to write the secret key too
     * @return the certificate in czmq's text format
     */
    String text(boolean secret) {
        String generated = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        StringBuilder out = new StringBuilder(512);
        out.append("#   ****  Generated on ").append(generated).append(" by powerhose-keygen  ****\n");
        if (secret) {
            out.append("#   ZeroMQ CURVE **Secret** Certificate\n")
                .append("#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n");
        } else {
            out.append("#   ZeroMQ CURVE Public Certificate\n")
                .append("#   Exchange securely, or use a secure mechanism to verify the contents\n")
                .append("#   of this file after exchange.\n");
        }
        out.append("\nmetadata\ncurve\n    public-key = \"").append(publicKey).append("\"\n");
        if (secret) {
            out.append("    secret-key = \"").append(secretKey).append("\"\n");
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CurveCertificate that && publicKey.equals(that.publicKey)
            && Objects.equals(secretKey, that.secretKey);
    }

    @Override
    public int hashCode() {
        return publicKey.hashCode();
    }

    @Override
    public String toString() {
        return "CurveCertificate[publicKey=" + publicKey + ", secretKey=" + (secretKey != null ? "(hidden)" : "none")
            + (file != null ? ", file=" + file : "") + "]";
    }

    // ------------------------------------------------------------------------------------ reading

    /** What a certificate file says: its keys, checked for form. */
    private record Parsed(String publicKey, String secretKey) {
    }

    private static byte[] read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new ConfigurationException(file + ": larger than " + MAX_FILE_BYTES
                    + " bytes, not a CURVE certificate");
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new ConfigurationException(file + ": no such key file", e);
        } catch (IOException e) {
            throw new ConfigurationException(file + ": cannot read the key file (" + e + ")", e);
        }
    }

    /**
     * Reads czmq's certificate format (ZPL, rfc.zeromq.org/spec:4): a {@code curve} section holding
     * {@code public-key} and optionally {@code secret-key}, each in quotes or not. Comments ({@code #}), blank lines
     * and the {@code metadata} section are skipped.
     */
    private static Parsed parse(Path file, String text) {
        String section = "";
        String publicKey = null;
        String secretKey = null;
        int number = 0;
        for (String raw : text.split("\n", -1)) {
            number++;
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c != '\t' && (c < 0x20 || c > 0x7e)) {
                    throw new ConfigurationException(file + ": line " + number + " holds a byte that is not "
                        + "printable ASCII (" + (int) c + "): not a CURVE certificate");
                }
            }
            boolean child = Character.isWhitespace(line.charAt(0));
            int equals = trimmed.indexOf('=');
            String name = (equals < 0 ? trimmed : trimmed.substring(0, equals)).strip();
            if (!child) {
                section = name;
                continue;
            }
            if (!section.equals("curve") || equals < 0) {
                continue;
            }
            String value = unquote(trimmed.substring(equals + 1).strip());
            if (name.equals("public-key")) {
                if (publicKey != null) {
                    throw new ConfigurationException(file + ": line " + number + ": a second public-key");
                }
                publicKey = keyOf(file, number, "public-key", value);
            } else if (name.equals("secret-key")) {
                if (secretKey != null) {
                    throw new ConfigurationException(file + ": line " + number + ": a second secret-key");
                }
                secretKey = keyOf(file, number, "secret-key", value);
            }
        }
        if (publicKey == null) {
            throw new ConfigurationException(file + ": no public-key in a curve section: not a CURVE certificate "
                + "(czmq's format, as powerhose-keygen, zmq.auth.create_certificates and zcert_save write it)");
        }
        return new Parsed(publicKey, secretKey);
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
            && value.charAt(value.length() - 1) == value.charAt(0)) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static String keyOf(Path file, int line, String name, String value) {
        if (value.length() != Curve.KEY_Z85_LENGTH) {
            throw new ConfigurationException(file + ": line " + line + ": " + name + " is " + value.length()
                + " characters, not the " + Curve.KEY_Z85_LENGTH + " of a Z85 key");
        }
        try {
            Curve.z85Decode(value);
        } catch (ConfigurationException e) {
            throw new ConfigurationException(file + ": line " + line + ": " + name + " is not Z85 text");
        }
        return value;
    }

    private static String checkedKey(String key, String name) {
        if (key.length() != Curve.KEY_Z85_LENGTH) {
            throw new ConfigurationException(name + " is " + key.length() + " characters, not the "
                + Curve.KEY_Z85_LENGTH + " of a Z85 key");
        }
        Curve.z85Decode(key);
        return key;
    }

    private static void checkOwnerOnly(Path file) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new ConfigurationException(file + ": cannot read its permissions (" + e + ")", e);
        }
        if (!OWNER_ONLY.containsAll(permissions)) {
            throw new ConfigurationException(file + ": a secret key file must be readable by its owner only, and "
                + "this one is " + PosixFilePermissions.toString(permissions) + ": run chmod 600 " + file);
        }
    }

    // ------------------------------------------------------------------------------------ writing

    private static void write(Path file, String text, boolean ownerOnly) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            OutputStream out = ownerOnly
                ? Files.newOutputStream(Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY)),
                    StandardOpenOption.WRITE)
                : Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try (out) {
                out.write(text.getBytes(StandardCharsets.US_ASCII));
            }
            if (ownerOnly) {
                Files.setPosixFilePermissions(file, OWNER_ONLY); // whatever the umask
            }
        } catch (FileAlreadyExistsException e) {
            throw new ConfigurationException(file + " exists already: not overwritten", e);
        } catch (IOException e) {
            throw new ConfigurationException(file + ": cannot write (" + e + ")", e);
        }
    }
}
