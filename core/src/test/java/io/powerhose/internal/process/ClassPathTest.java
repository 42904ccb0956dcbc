package io.powerhose.internal.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The class path of Cluster's Java workers, worked out from the classes this JVM loaded. */
class ClassPathTest {
    @TempDir
    Path dir;

    @Test
    void entriesOfAContextClassLoaderThatIsNotTheJavaClassPathAreIncluded() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("app-classes"));
        Path jar = Files.createFile(dir.resolve("app-lib.jar"));
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader appLoader = new URLClassLoader(new URL[] {classes.toUri().toURL(), jar.toUri().toURL(),
            java.net.URI.create("jar:file:" + jar + "!/nested.jar!/").toURL()}, previous)) {
            Thread.currentThread().setContextClassLoader(appLoader);
            List<String> entries = ClassPath.of(List.of(ClassPathTest.class));
            assertTrue(entries.contains(classes.toString()), entries.toString());
            assertTrue(entries.contains(jar.toString()), entries.toString());
            assertFalse(entries.stream().anyMatch(e -> e.contains("nested.jar")), "jars in jars cannot be used");
            assertTrue(entries.indexOf(classes.toString()) > entries.indexOf(firstClassPathEntry()),
                "java.class.path first, as parent-first delegation reads them");
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    @Test
    void theCodeSourcesOfTheGivenClassesAreIncludedAbsoluteAndOnce() {
        List<String> entries = ClassPath.of(List.of(ClassPath.class, org.zeromq.ZMQ.class, ClassPath.class));
        String zmqJar = Path.of(org.zeromq.ZMQ.class.getProtectionDomain().getCodeSource().getLocation().getPath())
            .toAbsolutePath().normalize().toString();
        assertTrue(entries.contains(zmqJar), entries.toString());
        assertEquals(entries.size(), entries.stream().distinct().count(), "no duplicates: " + entries);
        assertTrue(entries.stream().allMatch(e -> Path.of(e).isAbsolute() && Files.exists(Path.of(e))), entries.toString());
    }

    private static String firstClassPathEntry() {
        return Path.of(System.getProperty("java.class.path").split(File.pathSeparator)[0]).toAbsolutePath().normalize()
            .toString();
    }
}
