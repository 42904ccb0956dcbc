package io.powerhose.cli;

import io.powerhose.Broker;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands as processes, the way an operator runs them: their output, exit codes and what they leave behind. */
@Timeout(180)
class CommandsTest {
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private ManagedProcess command(String name, String mainClass, String... args) {
        return cluster.start(name, JavaCommand.of(mainClass, List.of("-XX:TieredStopAtLevel=1"), List.of(args)));
    }

    @Test
    void powerhoseCommandAnswersTheClientCommandAndSigtermLeavesNothingBehind() throws Exception {
        ManagedProcess powerhose = command("powerhose", "io.powerhose.cli.ClusterCommand",
            "--frontend", cluster.frontend(), "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat(),
            "--numprocesses", "2", "io.powerhose.examples.Echo");
        TestCluster.await(() -> powerhose.log().contains("workers started"), Duration.ofSeconds(60), powerhose::log);
        assertTrue(powerhose.log().contains("broker started"), powerhose.log());
        List<ProcessHandle> children = powerhose.process().descendants().toList();
        assertEquals(2, children.size(), "two worker processes");

        ManagedProcess client = command("client", "io.powerhose.cli.ClientCommand", "--frontend", cluster.frontend(),
            "hello");
        assertEquals(0, client.waitFor(Duration.ofSeconds(30)), client.log());
        assertEquals("hello", client.log().trim());
        ManagedProcess ping = command("ping", "io.powerhose.cli.ClientCommand", "--frontend", cluster.frontend(), "--ping");
        assertEquals(0, ping.waitFor(Duration.ofSeconds(30)), ping.log());
        assertEquals(Long.toString(powerhose.pid()), ping.log().trim());

        powerhose.terminate();
        powerhose.waitFor(Duration.ofSeconds(30));
        for (ProcessHandle child : children) {
            child.onExit().get();
            assertFalse(child.isAlive(), "worker " + child.pid() + " left behind");
        }
        try (var files = Files.list(cluster.dir())) {
            List<String> ipc = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ipc")).toList();
            assertEquals(List.of(), ipc, "ipc files left behind");
        }
    }

    @Test
    void clientCommandExitCodesTellFailuresApart() {
        cluster.startBroker(cluster.brokerOptions().noWorkerGrace(Duration.ofMillis(100)).build());
        ManagedProcess noWorker = command("client", "io.powerhose.cli.ClientCommand", "--frontend", cluster.frontend(), "x");
        assertEquals(6, noWorker.waitFor(Duration.ofSeconds(30)), noWorker.log());
        cluster.startJavaWorker("io.powerhose.testing.TestTargets::fail");
        cluster.awaitWorkers(1);
        ManagedProcess failed = command("client", "io.powerhose.cli.ClientCommand", "--frontend", cluster.frontend(), "x");
        assertEquals(5, failed.waitFor(Duration.ofSeconds(30)), failed.log());
        assertTrue(failed.log().contains("boom: x"), failed.log());
    }

    @Test
    void brokerCheckSaysWhetherABrokerRuns() {
        ManagedProcess none = command("check", "io.powerhose.cli.BrokerCommand", "--frontend", cluster.frontend(),
            "--check");
        assertEquals(1, none.waitFor(Duration.ofSeconds(30)), none.log());
        assertTrue(none.log().contains("No broker is running"), none.log());
        Broker broker = cluster.startBroker();
        ManagedProcess some = command("check", "io.powerhose.cli.BrokerCommand", "--frontend", cluster.frontend(),
            "--check");
        assertEquals(0, some.waitFor(Duration.ofSeconds(30)), some.log());
        assertTrue(some.log().contains("A broker is running. PID: " + broker.pid()), some.log());
    }

    @Test
    void purgeGhostsEndsTheBrokerThatNoLongerAnswersAndKeepsTheActiveOne() throws Exception {
        ManagedProcess ghost = command("ghost", "io.powerhose.cli.BrokerCommand", "--frontend", cluster.frontend(),
            "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat());
        TestCluster.await(() -> Probe.ping(cluster.frontend(), Duration.ofMillis(200)) == ghost.pid(),
            Duration.ofSeconds(30), ghost::log);
        // Take the frontend away from it: its ipc file goes, a new broker binds a new one.
        Files.delete(cluster.dir().resolve("front.ipc"));
        Broker active = cluster.startBroker(cluster.brokerOptions()
            .backend("ipc://" + cluster.dir().resolve("back2.ipc"))
            .heartbeat("ipc://" + cluster.dir().resolve("beat2.ipc")).build());
        ManagedProcess purge = command("purge", "io.powerhose.cli.BrokerCommand", "--frontend", cluster.frontend(),
            "--purge-ghosts");
        assertEquals(0, purge.waitFor(Duration.ofSeconds(30)), purge.log());
        assertTrue(purge.log().contains("The active broker runs at PID: " + active.pid()), purge.log());
        assertTrue(purge.log().contains("Killing ghost broker PID " + ghost.pid()), purge.log());
        ghost.waitFor(Duration.ofSeconds(10));
        assertEquals(active.pid(), cluster.client().ping(Duration.ofSeconds(1)).getAsLong(), "the active one lives");

        ManagedProcess again = command("purge", "io.powerhose.cli.BrokerCommand", "--frontend", cluster.frontend(),
            "--purge-ghosts");
        assertEquals(0, again.waitFor(Duration.ofSeconds(30)), again.log());
        assertTrue(again.log().contains("No ghosts were killed."), again.log());
        assertNotEquals(ghost.pid(), active.pid());
    }

    @Test
    void targetThatDoesNotExistFailsFastWithAClearMessageAndNoRespawnLoop() {
        ManagedProcess powerhose = command("powerhose", "io.powerhose.cli.ClusterCommand",
            "--frontend", cluster.frontend(), "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat(),
            "com.example.NoSuchTarget");
        assertEquals(3, powerhose.waitFor(Duration.ofSeconds(30)), powerhose.log());
        assertTrue(powerhose.log().contains("class com.example.NoSuchTarget not found"), powerhose.log());
        assertFalse(powerhose.log().contains("workers started"), powerhose.log());
    }
}
