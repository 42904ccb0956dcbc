package io.powerhose.consumer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * examples/maven-app as a user builds and runs it: a project of its own that depends on {@code powerhose-core} from
 * a Maven repository, with slf4j-simple as its binding and a job handler of its own. The test publishes the jar
 * and pom this build just made into a repository of its own ({@code target/consumer-m2}, laid out as {@code mvn
 * install} lays out {@code ~/.m2}; the rest comes from the build's own local repository, read-only, and Maven
 * Central), builds the app there once, then runs it three ways; each run starts a {@code Cluster} of two workers
 * running the app's handler and checks 200 answers.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.MethodName.class)
class MavenAppTest {
    private static final Path ROOT = Path.of(System.getProperty("powerhose.root", "..")).toAbsolutePath().normalize();
    private static final String VERSION = System.getProperty("powerhose.version");
    private static final Path WORK = ROOT.resolve("examples/target/consumer");
    private static final Path APP = WORK.resolve("maven-app");
    private static final Path REPO = ROOT.resolve("examples/target/consumer-m2");
    private static final Path SETTINGS = WORK.resolve("settings.xml");
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    private static final Duration RUN = Duration.ofSeconds(120);
    /** What every JVM we start gets: no "restricted method" warning on JDK 24+, libjzmq.so found on Temurin. */
    private static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
        "-Djava.library.path=" + System.getProperty("powerhose.jni.path", ""));

    @TempDir
    Path dir;

    @BeforeAll
    static void publishOurArtifactsAndBuildTheApp() throws Exception {
        Path jar = ROOT.resolve("core/target/powerhose-core-" + VERSION + ".jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: these tests run in the integration-test phase, "
            + "after core's package");
        // The layout `mvn install` gives: the parent pom and core's pom and jar.
        Path group = REPO.resolve("io/powerhose");
        copy(ROOT.resolve("pom.xml"), group.resolve("powerhose-parent/" + VERSION + "/powerhose-parent-" + VERSION
            + ".pom"));
        copy(ROOT.resolve("core/pom.xml"), group.resolve("powerhose-core/" + VERSION + "/powerhose-core-" + VERSION
            + ".pom"));
        copy(jar, group.resolve("powerhose-core/" + VERSION + "/powerhose-core-" + VERSION + ".jar"));
        deleteRecursively(APP);
        copyTree(ROOT.resolve("examples/maven-app"), APP);
        Files.writeString(SETTINGS, settings(Path.of(System.getProperty("outer.repository",
            System.getProperty("user.home") + "/.m2/repository"))));
        Run build = maven(WORK.resolve("build.log"), Map.of(), "package", "dependency:build-classpath",
            "-Dmdep.outputFile=target/classpath.txt", "dependency:tree", "-DoutputFile=target/tree.txt");
        assertEquals(0, build.code, build.output);
    }

    @Test
    void dependencyTreeShowsOnlyJzmqAndSlf4jApiFromUs() throws IOException {
        String tree = Files.readString(APP.resolve("target/tree.txt"));
        List<String> fromUs = new ArrayList<>();
        boolean underCore = false;
        for (String line : tree.lines().toList()) {
            Matcher m = Pattern.compile("^([| ]*)[+\\\\]- ([^:]+):([^:]+):").matcher(line);
            if (!m.find()) {
                continue;
            }
            int depth = m.group(1).length() / 3;
            String artifact = m.group(2) + ":" + m.group(3);
            if (depth == 0) {
                underCore = artifact.equals("io.powerhose:powerhose-core");
            } else if (underCore) {
                fromUs.add(artifact);
            }
        }
        assertEquals(List.of("org.zeromq:jzmq", "org.slf4j:slf4j-api"), fromUs, tree);
        for (String unwanted : List.of("picocli", "logback", "HdrHistogram", "powerhose-commands")) {
            assertFalse(tree.contains(unwanted), unwanted + " in\n" + tree);
        }
    }

    @Test
    void runsFromItsClassPathWithJavaCp() throws IOException {
        String classPath = APP.resolve("target/classes") + ":" + Files.readString(APP.resolve("target/classpath.txt"))
            .trim();
        List<String> command = new ArrayList<>(List.of(JAVA.toString()));
        command.addAll(JVM_FLAGS);
        command.addAll(List.of("-cp", classPath, "com.example.app.App", dir.toString()));
        assertRightAnswers(run(command, dir.resolve("java-cp.log"), Map.of()));
    }

    @Test
    void runsFromTheShadedJar() {
        List<String> command = new ArrayList<>(List.of(JAVA.toString()));
        command.addAll(JVM_FLAGS);
        command.addAll(List.of("-jar", APP.resolve("target/maven-app-1.0-all.jar").toString(), dir.toString()));
        assertRightAnswers(run(command, dir.resolve("shaded.log"), Map.of()));
    }

    @Test
    void runsWithMavenExecJava() {
        // exec:java runs the app in Maven's JVM, with a class loader of its own: java.class.path is Maven's.
        assertRightAnswers(maven(dir.resolve("exec-java.log"), Map.of("MAVEN_OPTS", String.join(" ", JVM_FLAGS)),
            "exec:java", "-Dexec.args=" + dir));
    }

    private static void assertRightAnswers(Run run) {
        assertEquals(0, run.code, run.output);
        assertTrue(run.output.contains("answers: 200 of 200 right, from workers ["), run.output);
        // Both worker processes loaded the app's handler (they registered) and logged through slf4j-simple.
        assertTrue(run.output.contains("INFO com.example.app.App - cluster up"), run.output);
        assertEquals(2, Pattern.compile("INFO io\\.powerhose\\.internal\\.cluster\\.WorkerProcess - worker pid \\d+ "
            + "runs com\\.example\\.app\\.Sha256 ").matcher(run.output).results().count(), run.output);
        assertFalse(run.output.contains("restricted method"), run.output);
        assertFalse(run.output.contains("logback"), run.output);
        assertFalse(run.output.contains("Could not find or load main class"), run.output);
    }

    private static Run maven(Path log, Map<String, String> env, String... goals) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("maven.home"), "bin", "mvn")
            .toString(), "-B", "-ntp", "-s", SETTINGS.toString(), "-Dpowerhose.version=" + VERSION));
        command.addAll(List.of(goals));
        return run(command, log, env);
    }

    private static Run run(List<String> command, Path log, Map<String, String> env) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(APP.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("POWERHOSE_PARENT_PID");
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        try {
            boolean ended = process.waitFor(RUN.toSeconds(), TimeUnit.SECONDS);
            if (!ended) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String output = Files.readString(log);
            return new Run(ended ? process.exitValue() : -1, "$ " + String.join(" ", command) + "\n" + output
                + (ended ? "" : "\n(killed after " + RUN.toSeconds() + " s)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Settings for the app's builds: our artifacts from {@link #REPO} (its local repository), everything else from
     * the build's own local repository read as a repository (a copy, no download where it already has it; never
     * written), then Maven Central.
     */
    private static String settings(Path outer) {
        String url = outer.toUri().toString();
        return """
            <settings>
              <localRepository>%s</localRepository>
              <profiles>
                <profile>
                  <id>outer-repository</id>
                  <repositories>
                    <repository>
                      <id>outer-repository</id><url>%s</url>
                      <releases><checksumPolicy>ignore</checksumPolicy></releases>
                      <snapshots><enabled>false</enabled></snapshots>
                    </repository>
                  </repositories>
                  <pluginRepositories>
                    <pluginRepository>
                      <id>outer-repository</id><url>%s</url>
                      <releases><checksumPolicy>ignore</checksumPolicy></releases>
                      <snapshots><enabled>false</enabled></snapshots>
                    </pluginRepository>
                  </pluginRepositories>
                </profile>
              </profiles>
              <activeProfiles><activeProfile>outer-repository</activeProfile></activeProfiles>
            </settings>
            """.formatted(REPO, url, url);
        // (A local repository keeps no checksums of what it downloaded: nothing to check against.)
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.filter(p -> !from.relativize(p).startsWith("target")).toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    copy(path, target);
                }
            }
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** A finished process: its exit code (-1: killed at the timeout) and its output. */
    private record Run(int code, String output) {
    }
}
