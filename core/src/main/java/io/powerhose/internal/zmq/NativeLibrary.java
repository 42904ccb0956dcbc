package io.powerhose.internal.zmq;

import io.powerhose.ConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one place that loads the native libraries: libzmq through jzmq's JNI library, {@code libjzmq.so}, then
 * ours, {@code libpowerhose-jni.so} ({@link Native}).
 *
 * <p>jzmq's classes call {@code System.loadLibrary("jzmq")}, which searches only {@code java.library.path}.
 * Debian's OpenJDK includes Debian's JNI folder there; other JDKs (Temurin) do not. This class checks both, so
 * that a missing package or a JVM started without the folder fails with a message that says what to do.
 *
 * <p>Ours comes, in this order, from the file named by {@value #SHIM_PATH_PROPERTY}; from the
 * {@code powerhose-core} jar, which carries it for linux-x86_64 under {@code META-INF/native/}, extracted once
 * per JVM to a private file (mode 0600) in {@value #EXTRACT_DIR_PROPERTY} (default {@code java.io.tmpdir})
 * that is deleted as soon as it is loaded (as netty and sqlite-jdbc do); or from {@code java.library.path}.
 * Safe from any thread.
 */
public final class NativeLibrary {
    /** The Debian package that ships {@code libjzmq.so}. */
    public static final String DEBIAN_PACKAGE = "libzmq-jni";
    /** Folders where Linux distributions put JNI libraries. */
    public static final List<String> STANDARD_JNI_DIRS = List.of(
        "/usr/lib/x86_64-linux-gnu/jni", "/usr/lib/aarch64-linux-gnu/jni", "/usr/lib/jni", "/usr/lib64/jni");
    /** Our JNI library, as {@code System.loadLibrary} names it. */
    public static final String SHIM_NAME = "powerhose-jni";
    /** A system property naming our JNI library's file, which then is the only one tried. */
    public static final String SHIM_PATH_PROPERTY = "powerhose.jni.library";
    /** A system property naming the folder the library is extracted into; it must allow executable mappings. */
    public static final String EXTRACT_DIR_PROPERTY = "powerhose.jni.tmpdir";
    /** The platforms whose library the jar carries. */
    public static final List<String> PACKED_PLATFORMS = List.of("linux-x86_64");
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);

    private static volatile String version;
    private static volatile String shimSource;

    private NativeLibrary() {
    }

    /**
     * Loads libzmq through jzmq, and our JNI library, once.
     *
     * @return libzmq's version, e.g. {@code "4.3.4"}
     * @throws ConfigurationException when a library is missing or this JVM cannot find it, saying how to fix it
     */
    public static String load() {
        String loaded = version;
        if (loaded != null) {
            return loaded;
        }
        synchronized (NativeLibrary.class) {
            if (version == null) {
                String libzmq = loadJzmq();
                shimSource = loadShim();
                LOG.debug("libzmq {} through jzmq; {} from {}", libzmq, System.mapLibraryName(SHIM_NAME), shimSource);
                version = libzmq;
            }
            return version;
        }
    }

    /** @return where our JNI library was loaded from (after {@link #load()}), for logs and tests */
    public static String shimSource() {
        return shimSource;
    }

    private static String loadJzmq() {
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

    /** Loads our library and checks it; returns where it came from. */
    private static String loadShim() {
        String fileName = System.mapLibraryName(SHIM_NAME);
        String explicit = System.getProperty(SHIM_PATH_PROPERTY, "");
        String source;
        if (!explicit.isEmpty()) {
            source = explicit + " (-D" + SHIM_PATH_PROPERTY + ")";
            loadFile(Path.of(explicit).toAbsolutePath(), source);
        } else {
            String resource = "META-INF/native/" + platform() + "/" + fileName;
            URL url = NativeLibrary.class.getClassLoader().getResource(resource);
            if (url != null) {
                source = loadResource(url, resource);
            } else {
                source = loadFromLibraryPath(fileName, resource);
            }
        }
        checkShim(source);
        return source;
    }

    private static String loadResource(URL url, String resource) {
        String dir = System.getProperty(EXTRACT_DIR_PROPERTY, System.getProperty("java.io.tmpdir"));
        Path file;
        try {
            file = Files.createTempFile(Path.of(dir), "libpowerhose-jni-", ".so",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (InputStream in = url.openStream()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new ConfigurationException("cannot extract " + resource + " from the powerhose-core jar into " + dir
                + " (" + e + "): set -D" + EXTRACT_DIR_PROPERTY + " to a writable folder", e);
        }
        String source = resource + " in " + jarOf(url) + ", extracted to " + file;
        try {
            loadFile(file, source);
        } finally {
            try {
                Files.deleteIfExists(file);   // mapped already: Linux keeps it until the process ends
            } catch (IOException e) {
                LOG.debug("could not delete {}", file, e);
            }
        }
        return source;
    }

    private static void loadFile(Path file, String source) {
        if (!Files.isReadable(file)) {
            throw new ConfigurationException("Powerhose's JNI library " + source + " does not exist or cannot be read");
        }
        try {
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new ConfigurationException("could not load " + source + " (" + e.getMessage() + "): it needs"
                + " libzmq.so.5 (apt-get install libzmq5); if the folder is mounted noexec, set -D"
                + EXTRACT_DIR_PROPERTY + " to one that allows executables", e);
        }
    }

    private static String loadFromLibraryPath(String fileName, String resource) {
        Path found = findIn(searchPath(), fileName);
        if (found == null) {
            String jar = PACKED_PLATFORMS.contains(platform())
                ? "the powerhose-core jar has no " + resource + " (its build compiles it with make from"
                    + " native/src/jni: was it skipped?)"
                : "the powerhose-core jar carries it for " + PACKED_PLATFORMS + " only, and this is " + platform();
            throw new ConfigurationException(fileName + " (Powerhose's JNI library) not found: " + jar
                + "; and java.library.path " + searchPath() + " has none: build it with make -C native and start"
                + " java with -Djava.library.path=<native/build/jni> or -D" + SHIM_PATH_PROPERTY + "=<file>");
        }
        loadFile(found, found.toString());
        return found.toString();
    }

    /** Checks the loaded library's ABI against this class's and caches jzmq's socket handle field. */
    private static void checkShim(String source) {
        int abi;
        try {
            abi = Native.abiVersion();
        } catch (UnsatisfiedLinkError e) {
            throw new ConfigurationException(source + " is not Powerhose's JNI library (" + e.getMessage() + ")", e);
        }
        if (abi != Native.ABI_VERSION) {
            throw new ConfigurationException(source + " has ABI " + abi + "; this powerhose-core needs "
                + Native.ABI_VERSION + ": use the library built with it");
        }
        int rc = Native.init(ZMQ.Socket.class);
        if (rc == Native.ENOENT) {
            throw new ConfigurationException("jzmq's ZMQ.Socket has no long field socketHandle: Powerhose needs"
                + " org.zeromq:jzmq 3.x (3.1.0), found " + ZMQ.Socket.class.getProtectionDomain().getCodeSource());
        }
        if (rc != 0) {
            throw new ConfigurationException(source + ": initialisation failed, errno " + rc);
        }
    }

    /** @return e.g. {@code linux-x86_64} */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return (os.startsWith("linux") ? "linux" : os.replace(' ', '_'))
            + "-" + (arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch);
    }

    private static String jarOf(URL url) {
        String text = url.toString();
        int bang = text.indexOf("!/");
        return bang > 0 ? text.substring(0, bang).replaceFirst("^jar:", "") : "the classpath (" + text + ")";
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
