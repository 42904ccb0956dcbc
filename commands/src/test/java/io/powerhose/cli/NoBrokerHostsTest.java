package io.powerhose.cli;

import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.BrokerProcess;
import io.powerhose.testing.HostLoad;
import io.powerhose.testing.HostLoadReport;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestHosts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code powerhose --no-broker} on worker hosts (network namespaces, {@link TestHosts}): Java workers on one host,
 * C workers ({@code --worker-command}) on another, the broker on a third, a client on a fourth. The workers start
 * before any broker runs, join it when it comes, rejoin a broker restarted after a SIGKILL, and, after a cut of
 * the broker's host longer than the C workers' beat window, are respawned and rejoin once the link is back.
 */
@Tag("slow")
@Timeout(120)
class NoBrokerHostsTest {
    private static final Path NATIVE_BUILD = Path.of("..", "native", "build").toAbsolutePath().normalize();
    private static final List<String> JVM = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Xmx256m");

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void workerHostsWithoutABrokerJoinItWhenItComesRejoinAfterItsRestartAndAfterACutOfItsHost() {
        TestHosts hosts = cluster.closeAfter(TestHosts.create(List.of("broker", "javahost", "chost", "client")));
        TestHosts.Host brokerHost = hosts.host(0);
        TestHosts.Host javaHost = hosts.host(1);
        TestHosts.Host cHost = hosts.host(2);
        String backend = brokerHost.endpoint(5556);
        String heartbeat = brokerHost.endpoint(5557);
        // No broker runs yet: both supervisors start their workers anyway.
        TestCluster.ManagedProcess javaCluster = cluster.start("powerhose-java", javaHost.command(JavaCommand.of(
            ClusterCommand.class.getName(), JVM, List.of("--no-broker", "--numprocesses", "2", "--backend", backend,
                "--heartbeat", heartbeat, "io.powerhose.testing.TestTargets::echo"))));
        // The C workers quit after 4 beat checks of 1 s without a beat (the Java ones after 3 x 10 s): longer than a
        // broker restart (a JVM start, then its first beat), shorter than the cut below.
        TestCluster.ManagedProcess cCluster = cluster.start("powerhose-c", cHost.command(JavaCommand.of(
            ClusterCommand.class.getName(), JVM, List.of("--no-broker", "--numprocesses", "2", "--worker-command",
                NATIVE_BUILD.resolve("powerhose-worker-echo") + " --ping-delay 1 --ping-retries 4", "--backend",
                backend, "--heartbeat", heartbeat))));
        for (TestCluster.ManagedProcess supervisor : List.of(javaCluster, cCluster)) {
            TestCluster.await(() -> supervisor.log().contains("workers started"), Duration.ofSeconds(30),
                supervisor::log);
        }
        HostLoadReport load = new HostLoadReport(cluster.start("client", hosts.host(3).command(JavaCommand.of(
            HostLoad.class.getName(), JVM, List.of(brokerHost.endpoint(5555), "1500", "64", "30000")))));
        load.awaitReady();
        // Longer than the C workers' beat window: they have ended and been respawned at least once by now.
        TestCluster.await(() -> cCluster.log().contains("respawning"), Duration.ofSeconds(20), cCluster::log);

        long brokerStartNs = System.nanoTime();
        TestCluster.ManagedProcess broker = startBroker(brokerHost);
        awaitWorkers(load, 4, Duration.ofSeconds(10));
        long joinedNs = System.nanoTime();
        load.send("start");
        TestCluster.await(() -> load.refresh().okFrom(workerPids(javaHost, javaCluster)) > 500
            && load.okFrom(workerPids(cHost, cCluster)) > 500, Duration.ofSeconds(30),
            () -> "both hosts serve: " + load.okByPid());

        broker.kill();
        long restartNs = System.nanoTime();
        startBroker(brokerHost);
        awaitWorkers(load, 4, Duration.ofSeconds(10));
        long rejoinedNs = System.nanoTime();
        Set<Long> javaWorkers = workerPids(javaHost, javaCluster);
        long okBeforeCut = load.refresh().ok();
        TestCluster.await(() -> load.refresh().ok() > okBeforeCut + 1000, Duration.ofSeconds(20),
            () -> "the same client carries on with the restarted broker: " + load.okByPid());

        Set<Long> cWorkersBeforeCut = workerPids(cHost, cCluster);
        brokerHost.cut();
        long cutNs = System.nanoTime();
        TestCluster.await(() -> !workerPids(cHost, cCluster).equals(cWorkersBeforeCut)
            && workerPids(cHost, cCluster).size() == 2, Duration.ofSeconds(15),
            () -> "the C workers were not respawned during the cut: " + cCluster.log());
        long respawnedNs = System.nanoTime();
        brokerHost.restore();
        long restoreNs = System.nanoTime();
        awaitWorkers(load, 4, Duration.ofSeconds(10));
        long backNs = System.nanoTime();
        Set<Long> cWorkers = workerPids(cHost, cCluster);
        TestCluster.await(() -> load.refresh().firstOkAfter(cWorkers, restoreNs) != Long.MIN_VALUE
            && load.firstOkAfter(javaWorkers, restoreNs) != Long.MIN_VALUE, Duration.ofSeconds(10),
            () -> "both hosts serve again after the restore: " + load.okByPid());
        long servedNs = Math.max(load.firstOkAfter(cWorkers, restoreNs), load.firstOkAfter(javaWorkers, restoreNs));
        assertEquals(javaWorkers, workerPids(javaHost, javaCluster),
            "the Java workers (30 s beat window) rode out the restart and the cut without a restart");
        assertFalse(cCluster.log().contains("not respawning"), "no slot given up:\n" + cCluster.log());
        assertFalse(javaCluster.log().contains("not respawning"), "no slot given up:\n" + javaCluster.log());

        load.send("stop");
        TestCluster.await(() -> load.refresh().done(), Duration.ofSeconds(40), () -> "client did not end");
        assertEquals(0, load.bad(), "wrong results: " + load.problems());
        assertTrue(load.problems().isEmpty(), "client problems: " + load.problems());
        // Calls fail only as the cuts make them: in flight on a lost broker, or held by a C worker that left
        // because it lost the broker's beat (it fails what it holds as it goes: docs/WORKERS.md).
        String cLog = cCluster.log();
        long lostWorkerFailures = 0;
        for (HostLoadReport.Failure failure : load.failures()) {
            if (failure.exception().equals("WorkerLostException")) {
                assertTrue(cLog.contains("worker pid " + failure.workerPid() + " (slot"), "a job lost only with a C "
                    + "worker that exited: " + failure + "\n" + cLog);
                lostWorkerFailures++;
            } else {
                assertEquals("BrokerLostException", failure.exception(), "only calls in flight on a lost broker fail: "
                    + failure);
            }
        }
        for (TestCluster.ManagedProcess supervisor : List.of(javaCluster, cCluster)) {
            supervisor.terminate();
            int code = supervisor.waitFor(Duration.ofSeconds(30));
            assertTrue(code == 0 || code == 143, "stopped by SIGTERM through its shutdown hook, exit " + code + "\n"
                + supervisor.log());
        }
        TestCluster.await(() -> javaHost.pids().isEmpty() && cHost.pids().isEmpty(), Duration.ofSeconds(10),
            () -> "workers left behind: " + javaHost.pids() + " " + cHost.pids());
        System.out.println(String.format(Locale.ROOT, "no-broker hosts: broker start -> 4 workers registered %d ms; "
            + "broker SIGKILL + restart -> 4 registered %d ms; broker host cut -> C workers respawned %d ms; "
            + "restore -> 4 registered %d ms, -> both hosts serving %d ms; jobs ok %d, failed %d (%d WorkerLost with a C "
            + "worker that left, the rest BrokerLost)", ms(joinedNs - brokerStartNs), ms(rejoinedNs - restartNs),
            ms(respawnedNs - cutNs), ms(backNs - restoreNs), ms(servedNs - restoreNs), load.ok(),
            load.failures().size(), lostWorkerFailures));
    }

    private TestCluster.ManagedProcess startBroker(TestHosts.Host host) {
        TestCluster.ManagedProcess broker = cluster.start("broker", host.command(JavaCommand.of(
            BrokerProcess.class.getName(), JVM, List.of("--frontend", host.endpoint(5555), "--backend",
                host.endpoint(5556), "--heartbeat", host.endpoint(5557)))));
        TestCluster.await(() -> broker.log().contains("broker up"), Duration.ofSeconds(30), broker::log);
        return broker;
    }

    /** The worker processes of a host: what runs in its namespace but the supervisor itself. */
    private static Set<Long> workerPids(TestHosts.Host host, TestCluster.ManagedProcess supervisor) {
        Set<Long> pids = new HashSet<>(host.pids());
        pids.remove(supervisor.pid());
        return pids;
    }

    private static void awaitWorkers(HostLoadReport load, int count, Duration timeout) {
        TestCluster.await(() -> workerCount(load) == count, timeout, () -> "expected " + count + " workers:\n"
            + load.status());
    }

    private static int workerCount(HostLoadReport load) {
        String status = load.status();
        return status.contains("workers=") ? Integer.parseInt(TestCluster.value(status, "workers")) : -1;
    }

    private static long ms(long ns) {
        return ns / 1_000_000;
    }
}
