package io.powerhose.internal.zmq;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where our JNI library comes from: packed in the core jar (this fails the build when it is not) and extracted to a private file that is gone once loaded; from java.library.path when the jar has
 * none; and a {@link io.powerhose.ConfigurationException} that names what is missing otherwise. The last
 * cases run in child JVMs (ended by their pid).
 */
@Timeout(120)
class NativeLibraryTest {
    private static final String RESOURCE = "META-INF/native/linux-x86_64/libpowerhose-jni.so";

    @TempDir
    Path dir;

    @Test
    void theJarCarriesTheLibraryAndItIsLoadedFromThereThroughAFileThatIsGoneOnceLoaded() {
        assertNotNull(NativeLibrary.class.getClassLoader().getResource(RESOURCE),
            RESOURCE + " is not on the classpath: core's make-jni execution did not run");
        NativeLibrary.load();
        String source = NativeLibrary.shimSource();
        assertTrue(source.startsWith(RESOURCE) && source.contains(", extracted to "), source);
        Path extracted = Path.of(source.substring(source.indexOf(", extracted to ") + ", extracted to ".length()));
        assertFalse(Files.exists(extracted), "the extracted copy is deleted once loaded: " + extracted);
    }

    @Test
    void withoutTheJarsCopyTheLibraryComesFromJavaLibraryPath() throws Exception {
        Path libDir = Files.createDirectories(dir.resolve("lib"));
        try (InputStream in = NativeLibrary.class.getClassLoader().getResource(RESOURCE).openStream()) {
            Files.copy(in, libDir.resolve("libpowerhose-jni.so"));
        }
        String out = runChild(classpathWithoutTheLibrary(), List.of("-Djava.library.path="
            + NativeLibrary.jniDirectory() + File.pathSeparator + libDir), 0);
        assertTrue(out.contains("loaded from " + libDir.resolve("libpowerhose-jni.so") + "; a message said ok"), out);
    }

    @Test
    void aMissingLibraryIsAConfigurationExceptionThatSaysWhatToDo() throws Exception {
        String out = runChild(classpathWithoutTheLibrary(), List.of("-Djava.library.path="
            + NativeLibrary.jniDirectory()), 3);
        assertTrue(out.contains("ConfigurationException: libpowerhose-jni.so (Powerhose's JNI library) not found")
            && out.contains("the powerhose-core jar has no " + RESOURCE) && out.contains("make -C native"), out);

        String missing = dir.resolve("nowhere/libpowerhose-jni.so").toString();
        out = runChild(System.getProperty("java.class.path"), List.of("-Djava.library.path="
            + NativeLibrary.jniDirectory(), "-D" + NativeLibrary.SHIM_PATH_PROPERTY + "=" + missing), 3);
        assertTrue(out.contains("ConfigurationException: Powerhose's JNI library " + missing), out);
        assertTrue(out.contains("does not exist"), out);

        Path notALibrary = Files.writeString(dir.resolve("libpowerhose-jni.so"), "not an ELF file");
        out = runChild(System.getProperty("java.class.path"), List.of("-Djava.library.path="
            + NativeLibrary.jniDirectory(), "-D" + NativeLibrary.SHIM_PATH_PROPERTY + "=" + notALibrary), 3);
        assertTrue(out.contains("ConfigurationException: could not load " + notALibrary), out);
    }

    /** This JVM's classpath with core's classes replaced by a copy that lacks the packed library. */
    private String classpathWithoutTheLibrary() throws IOException, URISyntaxException {
        URL resource = NativeLibrary.class.getClassLoader().getResource(RESOURCE);
        Path classes = Path.of(resource.toURI()).getParent().getParent().getParent().getParent();
        Path copy = dir.resolve("classes");
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = copy.resolve(classes.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".so")) {
                    Files.copy(p, target);
                }
            }
        }
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().equals(classes.toAbsolutePath()) ? copy.toString() : entry);
        }
        assertTrue(entries.contains(copy.toString()), "core's classes on the classpath: " + entries);
        return String.join(File.pathSeparator, entries);
    }

    private String runChild(String classpath, List<String> jvmOptions, int expectedExit) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add(LoadCheck.class.getName());
        Path log = Files.createTempFile(dir, "child-", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end: " + command);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(expectedExit, process.exitValue(), out);
            return out;
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
