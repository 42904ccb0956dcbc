package io.powerhose.cli;

import io.powerhose.Broker;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.process.Hostname;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        // SIGKILL, not SIGTERM: a ghost's orderly stop would unlink the ipc path the active broker uses.
        assertEquals(128 + 9, ghost.waitFor(Duration.ofSeconds(10)), "the ghost ended by SIGKILL: " + ghost.log());
        assertEquals(active.pid(), cluster.client().ping(Duration.ofSeconds(1)).getAsLong(), "the active one lives");

        ManagedProcess again = command("purge", "io.powerhose.cli.BrokerCommand", "--frontend", cluster.frontend(),
            "--purge-ghosts");
        assertEquals(0, again.waitFor(Duration.ofSeconds(30)), again.log());
        assertTrue(again.log().contains("No ghosts were killed."), again.log());
        assertEquals(active.pid(), cluster.client().ping(Duration.ofSeconds(1)).getAsLong(),
            "the active one still lives after a purge that found no ghost");
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

    @Test
    void statusCommandPrintsEachWorkerWithItsHostLanguageAndJobsDoneAsATableOrJson() {
        Broker broker = cluster.startBroker();
        ManagedProcess java = cluster.startJavaWorker("io.powerhose.examples.Echo");
        ManagedProcess c = cluster.start("c-worker", List.of(
            Path.of("..", "native", "build", "powerhose-worker-echo").toAbsolutePath().normalize().toString(),
            "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat()));
        cluster.awaitWorkers(2);
        for (int i = 0; i < 10; i++) {
            assertEquals("job " + i, cluster.client().execute("job " + i));
        }
        ManagedProcess table = cluster.startWithStderrApart("status", JavaCommand.of(StatusCommand.class.getName(),
            List.of("-XX:TieredStopAtLevel=1"), List.of("--frontend", cluster.frontend())));
        assertEquals(0, table.waitFor(Duration.ofSeconds(30)), table.log());
        List<String> lines = table.stdout().lines().toList();
        assertEquals("broker    pid " + broker.pid() + ", up ", lines.get(0).substring(0, lines.get(0).indexOf("up ") + 3));
        assertEquals("jobs      0 queued, 0 in flight", lines.get(1));
        assertEquals("workers   2", lines.get(2));
        assertTrue(lines.get(4).startsWith("PID"), table.stdout());
        String host = Hostname.get();
        long done = 0;
        for (ManagedProcess worker : List.of(java, c)) {
            String row = lines.stream().filter(l -> l.startsWith(worker.pid() + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + worker.pid() + ":\n" + table.stdout()));
            List<String> cells = List.of(row.trim().split(" {2,}"));
            assertEquals(List.of(Long.toString(worker.pid()), host, worker == java ? "java" : "c", "1"),
                cells.subList(0, 4), row);
            done += Long.parseLong(cells.get(6));
        }
        assertEquals(10, done, "jobs done, summed over the workers:\n" + table.stdout());
        assertTrue(table.stdout().contains("\n  jobs_ok "), table.stdout());
        assertEquals("", table.stderr());

        ManagedProcess json = cluster.startWithStderrApart("status-json", JavaCommand.of(
            StatusCommand.class.getName(), List.of("-XX:TieredStopAtLevel=1"),
            List.of("--frontend", cluster.frontend(), "--json")));
        assertEquals(0, json.waitFor(Duration.ofSeconds(30)), json.log());
        String text = json.stdout();
        assertTrue(text.startsWith("{\"broker\":{\"pid\":" + broker.pid() + ",\"uptime_ms\":"), text);
        assertTrue(text.contains("{\"pid\":" + java.pid() + ",\"host\":\"" + host + "\",\"language\":\"java\","
            + "\"capacity\":1,"), text);
        assertTrue(text.contains("{\"pid\":" + c.pid() + ",\"host\":\"" + host + "\",\"language\":\"c\","), text);
        assertTrue(text.endsWith("}}\n") && text.lines().count() == 1, text);
    }

    /** The workers run io.powerhose.internal.cluster.WorkerMain from core; the commands jar gives them its logging. */
    @Test
    void powerhoseWorkersLogInTheCommandsFormatToTheirOwnFiles() throws Exception {
        Path log = cluster.dir().resolve("logs/cluster.log");
        ManagedProcess powerhose = command("powerhose", "io.powerhose.cli.ClusterCommand",
            "--frontend", cluster.frontend(), "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat(),
            "--numprocesses", "1", "--logfile", log.toString(), "io.powerhose.examples.Echo");
        TestCluster.await(() -> Files.exists(log) && read(log).contains("workers started"), Duration.ofSeconds(60),
            () -> read(log) + powerhose.log());
        String workerLog = read(Path.of(log + ".worker-0"));
        assertTrue(java.util.regex.Pattern.compile("(?m)^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}]"
            + "\\[WorkerProcess]\\[pid \\d+] INFO worker pid \\d+ runs io\\.powerhose\\.examples\\.Echo ")
            .matcher(workerLog).find(), workerLog);
        assertEquals("", powerhose.log(), "nothing on the console with --logfile");
        powerhose.terminate();
        powerhose.waitFor(Duration.ofSeconds(30));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
