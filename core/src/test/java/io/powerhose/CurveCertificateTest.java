package io.powerhose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key files in czmq's certificate format: what is written, read back, refused (with the file named), and that
 * pyzmq's {@code zmq.auth} and czmq's {@code zcert} (libczmq4, through Python's ctypes) read ours and we read theirs.
 */
@Timeout(60)
class CurveCertificateTest {
    private static final String PYTHON = "/usr/bin/python3";
    /** czmq through ctypes: argv[1] is a file to read, argv[2] a file to write (NAME.key and NAME.key_secret). */
    private static final String CZMQ = String.join("\n",
        "import ctypes, sys",
        "cz = ctypes.CDLL('libczmq.so.4')",
        "cz.zcert_load.restype = ctypes.c_void_p; cz.zcert_load.argtypes = [ctypes.c_char_p]",
        "cz.zcert_new.restype = ctypes.c_void_p",
        "cz.zcert_save.argtypes = [ctypes.c_void_p, ctypes.c_char_p]",
        "for f in ('zcert_public_txt', 'zcert_secret_txt'):",
        "    getattr(cz, f).restype = ctypes.c_char_p; getattr(cz, f).argtypes = [ctypes.c_void_p]",
        "read = cz.zcert_load(sys.argv[1].encode())",
        "print(cz.zcert_public_txt(read).decode(), cz.zcert_secret_txt(read).decode())",
        "made = cz.zcert_new()",
        "assert cz.zcert_save(made, sys.argv[2].encode()) == 0",
        "print(cz.zcert_public_txt(made).decode(), cz.zcert_secret_txt(made).decode())");
    private static final String PYZMQ = String.join("\n",
        "import sys, zmq.auth",
        "print(*(k.decode() for k in zmq.auth.load_certificate(sys.argv[1])))",
        "public, secret = zmq.auth.create_certificates(sys.argv[2], 'py')",
        "print(*(k.decode() for k in zmq.auth.load_certificate(secret)))");

    @TempDir
    Path dir;

    @Test
    void aSavedPairIsReadBackWithItsSecretFileOwnerOnly() throws Exception {
        CurveCertificate made = CurveCertificate.generate();
        CurveCertificate saved = made.save(dir.resolve("w.key"));
        assertEquals(made, saved);
        assertEquals(dir.resolve("w.key_secret"), saved.file());
        assertEquals("rw-------", permissions(dir.resolve("w.key_secret")));
        CurveCertificate publicOnly = CurveCertificate.load(dir.resolve("w.key"));
        assertEquals(made.publicKey(), publicOnly.publicKey());
        assertFalse(publicOnly.hasSecretKey());
        assertThrows(IllegalStateException.class, publicOnly::secretKey);
        assertEquals(made, CurveCertificate.loadSecret(dir.resolve("w.key")), "NAME.key finds NAME.key_secret");
        assertEquals(made, CurveCertificate.loadSecret(dir.resolve("w.key_secret")));
        assertFalse(saved.toString().contains(made.secretKey()), "toString hides the secret key: " + saved);
        assertNotEquals(made.publicKey(), CurveCertificate.generate().publicKey());
        ConfigurationException again = assertThrows(ConfigurationException.class,
            () -> CurveCertificate.generate().save(dir.resolve("w.key")));
        assertEquals(dir.resolve("w.key") + " exists already: not overwritten", again.getMessage());
    }

    @Test
    void aSecretKeyFileOthersCanReadIsRefusedWithTheFix() throws Exception {
        Path secret = CurveCertificate.generate().save(dir.resolve("w.key")).file();
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw-----w-")) {
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString(mode));
            ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> CurveCertificate.load(secret));
            assertEquals(secret + ": a secret key file must be readable by its owner only, and this one is " + mode
                + ": run chmod 600 " + secret, refused.getMessage());
        }
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("r--------"));
        assertTrue(CurveCertificate.load(secret).hasSecretKey(), "0400 is fine");
        Files.setPosixFilePermissions(dir.resolve("w.key"), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertFalse(CurveCertificate.load(dir.resolve("w.key")).hasSecretKey(), "a public key file may be open");
    }

    @Test
    void aMalformedKeyFileIsRefusedNamingTheFileAndWhatIsWrong() throws Exception {
        CurveCertificate one = CurveCertificate.generate();
        CurveCertificate two = CurveCertificate.generate();
        String[][] cases = {
            {"", ": no public-key in a curve section: not a CURVE certificate"},
            {"metadata\n    public-key = \"" + one.publicKey() + "\"\n", ": no public-key in a curve section"},
            {"curve\n    public-key = \"short\"\n", ": line 2: public-key is 5 characters, not the 40 of a Z85 key"},
            {"curve\n    public-key = \"" + "~".repeat(40) + "\"\n", ": line 2: public-key is not Z85 text"},
            {"curve\n    public-key = \"" + one.publicKey() + "\"\n    public-key = \"" + one.publicKey() + "\"\n",
                ": line 3: a second public-key"},
            {"\u0000\u0001\u0002", ": line 1 holds a byte that is not printable ASCII (0)"},
        };
        for (String[] bad : cases) {
            Path file = dir.resolve("bad.key");
            Files.writeString(file, bad[0], StandardCharsets.ISO_8859_1);
            ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> CurveCertificate.load(file));
            assertTrue(refused.getMessage().startsWith(file + bad[1]), refused.getMessage());
        }
        Path mixed = dir.resolve("mixed.key_secret");
        Files.writeString(mixed, "curve\n    public-key = \"" + two.publicKey() + "\"\n    secret-key = \""
            + one.secretKey() + "\"\n");
        Files.setPosixFilePermissions(mixed, PosixFilePermissions.fromString("rw-------"));
        assertEquals(mixed + ": its public-key is not the public key of its secret-key; the file was edited or "
            + "assembled from two certificates", assertThrows(ConfigurationException.class,
                () -> CurveCertificate.load(mixed)).getMessage());
        Path alone = one.publicOnly().save(dir.resolve("alone.key")).file();
        assertTrue(assertThrows(ConfigurationException.class, () -> CurveCertificate.loadSecret(alone)).getMessage()
            .startsWith(alone + " holds a public key only, and " + alone + "_secret is not there"));
        Path big = dir.resolve("big.key");
        Files.write(big, new byte[70_000]);
        assertEquals(big + ": larger than 65536 bytes, not a CURVE certificate",
            assertThrows(ConfigurationException.class, () -> CurveCertificate.load(big)).getMessage());
        assertEquals(dir.resolve("none.key") + ": no such key file", assertThrows(ConfigurationException.class,
            () -> CurveCertificate.load(dir.resolve("none.key"))).getMessage());
    }

    @Test
    void layoutsOtherToolsWriteAreRead() throws Exception {
        CurveCertificate pair = CurveCertificate.generate();
        Path file = dir.resolve("other.key");
        Files.writeString(file, "# comment\r\nmetadata\r\n    name = \"x=y\"\r\ncurve\r\n\tpublic-key='"
            + pair.publicKey() + "'\r\n    unknown = 1\r\n");
        assertEquals(pair.publicKey(), CurveCertificate.load(file).publicKey());
        Files.writeString(file, "curve\n    public-key = " + pair.publicKey() + "\n");
        assertEquals(pair.publicKey(), CurveCertificate.load(file).publicKey(), "unquoted");
        assertNull(CurveCertificate.ofPublicKey(pair.publicKey()).file());
        assertThrows(ConfigurationException.class, () -> CurveCertificate.ofPublicKey("nope"));
    }

    @Test
    void pyzmqAndCzmqReadOurFilesAndWeReadTheirs() throws Exception {
        CurveCertificate ours = CurveCertificate.generate().save(dir.resolve("ours.key"));

        List<String> pyzmq = python(PYZMQ, dir.resolve("ours.key_secret").toString(), dir.toString());
        assertEquals(ours.publicKey() + " " + ours.secretKey(), pyzmq.get(0), "pyzmq reads our secret key file");
        Path pySecret = dir.resolve("py.key_secret");
        // pyzmq writes its secret file with the umask's mode (0644 here): refused until it is the owner's only.
        assertTrue(assertThrows(ConfigurationException.class, () -> CurveCertificate.loadSecret(pySecret))
            .getMessage().contains("chmod 600"));
        Files.setPosixFilePermissions(pySecret, PosixFilePermissions.fromString("rw-------"));
        CurveCertificate py = CurveCertificate.loadSecret(dir.resolve("py.key"));
        assertEquals(pyzmq.get(1), py.publicKey() + " " + py.secretKey(), "we read pyzmq's pair");

        List<String> czmq = python(CZMQ, dir.resolve("ours.key").toString(), dir.resolve("cz.key").toString());
        assertEquals(ours.publicKey() + " " + ours.secretKey(), czmq.get(0),
            "czmq reads our public file, and the secret one next to it");
        assertEquals("rw-------", permissions(dir.resolve("cz.key_secret")));
        CurveCertificate cz = CurveCertificate.loadSecret(dir.resolve("cz.key"));
        assertEquals(czmq.get(1), cz.publicKey() + " " + cz.secretKey(), "we read czmq's pair");
    }

    private static List<String> python(String code, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(PYTHON, "-c", code));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "python did not finish");
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), "python (needs python3-zmq and libczmq4, bin/ensure-deps --build):\n"
            + output);
        return output.lines().toList();
    }

    private static String permissions(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }
}
