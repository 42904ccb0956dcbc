package io.powerhose.internal.broker;

import io.powerhose.ConfigurationException;
import io.powerhose.CurveCertificate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The public keys allowed on one broker socket, read from a directory of certificate files: every {@code *.key}
 * file in it (not in its subdirectories; hidden files are skipped), in czmq's format, as pyzmq's
 * {@code zmq.auth.load_certificates} reads such a directory. {@code *.key_secret} files are not read: a secret
 * key does not belong in an allow-list. Immutable; any thread.
 */
public final class AllowList {
    private static final AllowList ANY = new AllowList(null, Map.of(), List.of());

    private final Path dir;
    private final Map<String, Path> fileByKey;
    private final List<String> problems;

    private AllowList(Path dir, Map<String, Path> fileByKey, List<String> problems) {
        this.dir = dir;
        this.fileByKey = fileByKey;
        this.problems = problems;
    }

    /** @return the list that allows any key (no directory given) */
    public static AllowList any() {
        return ANY;
    }

    /**
     * @param keys the public keys, Z85, as if read from files in {@code dir}
     * @param dir the directory they stand for
     * @return a list of exactly these keys
     */
    public static AllowList of(Set<String> keys, Path dir) {
        Map<String, Path> byKey = new HashMap<>();
        for (String key : keys) {
            byKey.put(key, dir.resolve("(given)"));
        }
        return new AllowList(dir, Map.copyOf(byKey), List.of());
    }

    /**
     * Reads a directory.
     *
     * @param dir the directory, or null for {@link #any()}
     * @param strict true to throw on the first bad file (at start), false to skip it and keep reading (a reload:
     *     {@link #problems()} names what was skipped)
     * @return the list
     * @throws ConfigurationException naming the directory or the file, when it cannot be read (a bad file only when
     *     strict)
     */
    public static AllowList load(Path dir, boolean strict) {
        if (dir == null) {
            return ANY;
        }
        List<Path> files = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                if (name.endsWith(".key") && Files.isRegularFile(entry)) {
                    files.add(entry);
                } else if (name.endsWith(CurveCertificate.SECRET_SUFFIX)) {
                    problems.add(entry + ": a secret key file in an allow-list directory (not read; only public "
                        + "keys belong here: move it away)");
                }
            }
        } catch (IOException e) {
            throw new ConfigurationException(dir + ": cannot read the allow-list directory (" + e + ")", e);
        }
        files.sort(null);
        Map<String, Path> byKey = new HashMap<>();
        for (Path file : files) {
            try {
                CurveCertificate certificate = CurveCertificate.load(file);
                byKey.putIfAbsent(certificate.publicKey(), file);
            } catch (ConfigurationException e) {
                if (strict) {
                    throw new ConfigurationException("allow-list " + dir + ": " + e.getMessage(), e);
                }
                problems.add(e.getMessage() + " (skipped: that key is not allowed until the file is fixed)");
            }
        }
        return new AllowList(dir, Map.copyOf(byKey), List.copyOf(problems));
    }

    /** @return true when any key is allowed (no directory) */
    public boolean allowsAny() {
        return dir == null;
    }

    /**
     * @param publicKey a public key, Z85
     * @return whether it may connect
     */
    public boolean allows(String publicKey) {
        return dir == null || fileByKey.containsKey(publicKey);
    }

    /**
     * @param publicKey a public key, Z85
     * @return the file it was read from, or null
     */
    public Path fileOf(String publicKey) {
        return fileByKey.get(publicKey);
    }

    /** @return the directory, or null for any key */
    public Path dir() {
        return dir;
    }

    /** @return how many keys it holds */
    public int size() {
        return fileByKey.size();
    }

    /** @return the keys, sorted */
    public Set<String> keys() {
        return new TreeSet<>(fileByKey.keySet());
    }

    /** @return what was wrong in the directory (files skipped, secret key files found), for the log */
    public List<String> problems() {
        return problems;
    }

    @Override
    public String toString() {
        return dir == null ? "any CURVE key" : size() + " key(s) from " + dir;
    }
}
