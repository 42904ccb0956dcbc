package io.powerhose.internal.zmq;

import io.powerhose.ConfigurationException;
import org.zeromq.ZMQ;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that loads libzmq through jzmq's JNI library, {@code libjzmq.so}.
 *
 * <p>jzmq's classes call {@code System.loadLibrary("jzmq")}, which searches only {@code java.library.path}.
 * Debian's OpenJDK includes Debian's JNI folder there; other JDKs (Temurin) do not. This class checks
 * both, so that a missing package or a JVM started without the folder fails with a message that says
 * what to do. Safe from any thread.
 */
public final class NativeLibrary {
    /** The Debian package that ships {@code libjzmq.so}. */
    public static final String DEBIAN_PACKAGE = "libzmq-jni";
    /** Folders where Linux distributions put JNI libraries. */
    public static final List<String> STANDARD_JNI_DIRS = List.of(
        "/usr/lib/x86_64-linux-gnu/jni", "/usr/lib/aarch64-linux-gnu/jni", "/usr/lib/jni", "/usr/lib64/jni");

    private static volatile String version;

    private NativeLibrary() {
    }

    /**
     * Loads libzmq through jzmq, once.
     *
     * @return libzmq's version, e.g. {@code "4.3.4"}
     * @throws ConfigurationException when the library is missing or this JVM cannot find it, saying how to fix it
     */
    public static String load() {
        String loaded = version;
        if (loaded != null) {
            return loaded;
        }
        synchronized (NativeLibrary.class) {
            if (version == null) {
                version = doLoad();
            }
            return version;
        }
    }

    private static String doLoad() {
        String fileName = System.mapLibraryName("jzmq");
        if (findIn(searchPath(), fileName) == null) {
            Path elsewhere = findIn(STANDARD_JNI_DIRS, fileName);
            if (elsewhere != null) {
                throw new ConfigurationException(fileName + " is installed at " + elsewhere + ", but this JVM ("
                    + System.getProperty("java.home") + ") does not search " + elsewhere.getParent()
                    + ": start java with -Djava.library.path=" + elsewhere.getParent()
                    + " (Debian's own OpenJDK searches it by default)");
            }
            throw new ConfigurationException(fileName + " (jzmq's JNI library) not found in java.library.path "
                + searchPath() + " nor in " + STANDARD_JNI_DIRS + ": install Debian's " + DEBIAN_PACKAGE
                + " (apt-get install " + DEBIAN_PACKAGE + " libzmq5)");
        }
        try {
            return ZMQ.getVersionString();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new ConfigurationException("could not load " + fileName + " (" + e.getMessage()
                + "): install Debian's " + DEBIAN_PACKAGE + " and libzmq5 (apt-get install " + DEBIAN_PACKAGE
                + " libzmq5)", e);
        }
    }

    /**
     * The folder that holds {@code libjzmq.so}, for starting child JVMs with {@code -Djava.library.path}.
     *
     * @return the folder, or null when none is found
     */
    public static String jniDirectory() {
        String fileName = System.mapLibraryName("jzmq");
        Path found = findIn(searchPath(), fileName);
        if (found == null) {
            found = findIn(STANDARD_JNI_DIRS, fileName);
        }
        return found == null ? null : found.getParent().toString();
    }

    private static List<String> searchPath() {
        List<String> dirs = new ArrayList<>();
        for (String dir : System.getProperty("java.library.path", "").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                dirs.add(dir);
            }
        }
        return dirs;
    }

    private static Path findIn(List<String> dirs, String fileName) {
        for (String dir : dirs) {
            Path candidate = Path.of(dir, fileName);
            if (Files.isReadable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
