package io.powerhose;

import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code powerhose-soak}, as a user runs it: a short run with worker kills checks every promise and exits 0; bad
 * options exit 3 with a clear message.
 */
@Timeout(120)
class SoakCommandTest {
    private static final Path C_ECHO = Path.of("..", "native", "build", "powerhose-worker-echo").toAbsolutePath()
        .normalize();

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void shortSoakWithWorkerKillsKeepsEveryPromiseAndExitsZero() {
        ManagedProcess soak = soak("--duration", "8s", "--kill-workers", "--kill-every", "1-2", "--report-every", "2",
            "--in-flight", "16", "--dir", cluster.dir().resolve("soak").toString(), "--c-worker", C_ECHO.toString());
        int exit = soak.waitFor(Duration.ofSeconds(90));
        String log = soak.log();
        assertEquals(0, exit, log);
        assertTrue(log.contains("promises=held"), log);
        assertTrue(Integer.parseInt(TestCluster.value(log, "kills")) >= 3, log);
        assertTrue(Long.parseLong(TestCluster.value(log, "jobs")) > 1_000, log);
        assertEquals("0", TestCluster.value(log, "retry_failed"), log);
        assertEquals("0", TestCluster.value(log, "uncompleted"), log);
        assertTrue(log.lines().filter(line -> line.startsWith("t=")).count() >= 2, "progress lines: " + log);
    }

    @Test
    void badOptionsExitThreeWithAClearMessage() {
        ManagedProcess missing = soak("--duration", "5s", "--c-worker", "/no/such/worker");
        assertEquals(3, missing.waitFor(Duration.ofSeconds(30)), missing.log());
        assertTrue(missing.log().contains("--c-worker=/no/such/worker is not an executable C echo worker"),
            missing.log());
        ManagedProcess zero = soak("--duration", "0s", "--c-workers", "0");
        assertEquals(3, zero.waitFor(Duration.ofSeconds(30)), zero.log());
        assertTrue(zero.log().contains("--duration=0s"), zero.log());
    }

    private ManagedProcess soak(String... args) {
        return cluster.start("powerhose-soak", JavaCommand.of("io.powerhose.cli.SoakCommand",
            List.of("-XX:+UseSerialGC", "-Xmx256m"), new ArrayList<>(Arrays.asList(args))));
    }
}
