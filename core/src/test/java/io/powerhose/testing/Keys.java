package io.powerhose.testing;

import io.powerhose.CurveCertificate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CURVE key files for a test, written as {@code powerhose-keygen} writes them, in a folder of the test's temp dir:
 * {@code NAME.key} and {@code NAME.key_secret} (mode 0600), and allow-list folders holding copies of public keys.
 */
public final class Keys {
    private final Path dir;

    /**
     * @param dir the folder for the key files (created)
     */
    public Keys(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes a key pair.
     *
     * @param name its name
     * @return the pair, read back from its secret key file
     */
    public CurveCertificate create(String name) {
        return CurveCertificate.generate().save(publicFile(name));
    }

    /**
     * @param name a key pair's name
     * @return its public key file
     */
    public Path publicFile(String name) {
        return dir.resolve(name + ".key");
    }

    /**
     * @param name a key pair's name
     * @return its secret key file
     */
    public Path secretFile(String name) {
        return dir.resolve(name + ".key_secret");
    }

    /**
     * Makes an allow-list folder holding copies of these public keys.
     *
     * @param list the folder's name
     * @param names the key pairs whose public keys it holds
     * @return the folder
     */
    public Path allowList(String list, String... names) {
        Path folder = dir.resolve(list);
        try {
            Files.createDirectories(folder);
            for (String name : names) {
                Files.copy(publicFile(name), folder.resolve(name + ".key"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return folder;
    }
}
