package io.powerhose;

import io.powerhose.internal.cluster.WorkerMain;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.internal.zmq.TcpLiveness;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Brokers, workers and clients on different hosts (network namespaces, {@link TestHosts}), connected over tcp, and
 * links cut under load without closing any socket. The figures each run measures (cut to first failure, restore
 * to first job served, jobs failed per cut) go to the test's output, {@code target/surefire-reports}, and
 * docs/OPERATIONS.md "Across machines".
 */
@Tag("slow")
@Timeout(120)
class ManyHostsTest {
    private static final Path NATIVE_BUILD = Path.of("..", "native", "build").toAbsolutePath().normalize();
    private static final List<String> JVM = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Xmx256m");
    /** The broker's default liveness window: 3 heartbeats of 1 s. */
    private static final long LIVENESS_WINDOW_NS = 3_000_000_000L;
    /** The client's bound for noticing a silent broker (docs/OPERATIONS.md): the tcp detection bound + 0.5 s. */
    private static final long BROKER_LOST_BOUND_NS = (TcpLiveness.DETECTION_BOUND_MS + 500) * 1_000_000L;
    private static final long SECOND_NS = 1_000_000_000L;

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void aWorkerHostCutMidLoadFailsOnlyItsJobsWithinTheLivenessWindowAndRejoinsWithoutRestart() {
        TestHosts hosts = cluster.closeAfter(TestHosts.create(List.of("broker", "javahost", "chost", "client")));
        TestHosts.Host brokerHost = hosts.host(0);
        TestHosts.Host javaHost = hosts.host(1);
        TestHosts.Host cHost = hosts.host(2);
        startBroker(brokerHost);
        List<TestCluster.ManagedProcess> workers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            workers.add(startJavaWorker(javaHost, brokerHost));
            workers.add(startCWorker(cHost, brokerHost));
        }
        HostLoadReport load = startClient(hosts.host(3), brokerHost, 2500, 256);
        awaitWorkers(load, 4);
        Set<Long> javaPids = javaHost.pids();
        Set<Long> cPids = cHost.pids();
        assertEquals(2, javaPids.size(), "Java workers on their host: " + javaPids);
        assertEquals(2, cPids.size(), "C workers on their host: " + cPids);

        load.send("start");
        TestCluster.await(() -> load.refresh().ok() >= 6000 && load.okFrom(javaPids) > 1000
            && load.okFrom(cPids) > 1000, Duration.ofSeconds(30), () -> "load before the cut: " + load.okByPid());
        assertTrue(load.failures().isEmpty(), "failures before the cut: " + load.failures());

        long cutNs = System.nanoTime();
        cHost.cut();
        TestCluster.await(() -> !load.refresh().failures().isEmpty(), Duration.ofSeconds(10),
            () -> "no job failed after the C host's cut: " + load.okByPid());
        waitUntil(cutNs + LIVENESS_WINDOW_NS + 2 * SECOND_NS);
        long okFromJavaDuringCut = load.refresh().okFrom(javaPids, cutNs, cutNs + LIVENESS_WINDOW_NS);
        List<HostLoadReport.Failure> failed = List.copyOf(load.failures());
        for (HostLoadReport.Failure failure : failed) {
            assertEquals("WorkerLostException", failure.exception(), "only the cut host's jobs fail: " + failure);
            assertTrue(cPids.contains(failure.workerPid()), "a job of the cut host, not another: " + failure);
            assertTrue(failure.atNs() - (cutNs + LIVENESS_WINDOW_NS + SECOND_NS) <= 0,
                "failed " + ms(failure.atNs() - cutNs) + " after the cut, past the liveness window + 1 s: " + failure);
        }
        long firstLostNs = failed.stream().mapToLong(HostLoadReport.Failure::atNs).min().orElseThrow();
        assertTrue(okFromJavaDuringCut > 2500, "the Java host carried on during the cut: "
            + okFromJavaDuringCut + " jobs in the liveness window");

        long restoreNs = System.nanoTime();
        cHost.restore();
        TestCluster.await(() -> load.refresh().firstOkAfter(cPids, restoreNs) != Long.MIN_VALUE,
            Duration.ofSeconds(5), () -> "the C host serves no job within 5 s of the restore: " + load.okByPid());
        long firstServedNs = load.firstOkAfter(cPids, restoreNs);
        assertEquals(cPids, cHost.pids(), "no C worker process restarted");
        assertEquals(javaPids, javaHost.pids(), "no Java worker process restarted");
        for (TestCluster.ManagedProcess worker : workers) {
            assertTrue(worker.isAlive(), "worker pid " + worker.pid() + " still runs");
        }

        TestCluster.await(() -> load.refresh().ok() >= 20_000, Duration.ofSeconds(30),
            () -> "20,000 jobs: " + load.okByPid());
        assertEquals(4, workerCount(load), "all four workers registered at the end");
        load.send("stop");
        TestCluster.await(() -> load.refresh().done(), Duration.ofSeconds(40), () -> "client did not end");
        assertEquals(0, load.bad(), "wrong results: " + load.problems());
        assertTrue(load.problems().isEmpty(), "client problems: " + load.problems());
        assertEquals(failed, load.failures(), "no failure after the liveness window");
        report("worker host cut", "cut -> first WorkerLost " + ms(firstLostNs - cutNs)
            + ", restore -> first job served by the cut host " + ms(firstServedNs - restoreNs)
            + ", jobs failed " + failed.size() + ", jobs served by the Java host in the window "
            + okFromJavaDuringCut + ", jobs in all " + load.ok() + " (Java " + load.okFrom(javaPids) + ", C "
            + load.okFrom(cPids) + ")");
    }

    @Test
    void aBrokerHostCutGivesBrokerLostWithinTheBoundAndTheSameClientWorksOnceItIsBack() {
        TestHosts hosts = cluster.closeAfter(TestHosts.create(List.of("broker", "workers", "client")));
        TestHosts.Host brokerHost = hosts.host(0);
        TestHosts.Host workerHost = hosts.host(1);
        TestCluster.ManagedProcess broker = startBroker(brokerHost);
        List<TestCluster.ManagedProcess> workers = List.of(startJavaWorker(workerHost, brokerHost),
            startCWorker(workerHost, brokerHost));
        HostLoadReport load = startClient(hosts.host(2), brokerHost, 1000, 64);
        awaitWorkers(load, 2);
        Set<Long> workerPids = workerHost.pids();

        load.send("start");
        TestCluster.await(() -> load.refresh().ok() >= 2000, Duration.ofSeconds(30), () -> "load: " + load.okByPid());
        long cutNs = System.nanoTime();
        brokerHost.cut();
        TestCluster.await(() -> !load.refresh().failures().isEmpty(), Duration.ofSeconds(10),
            () -> "no BrokerLost after the broker host's cut");
        waitUntil(cutNs + BROKER_LOST_BOUND_NS + 2 * SECOND_NS);
        List<HostLoadReport.Failure> failed = List.copyOf(load.refresh().failures());
        for (HostLoadReport.Failure failure : failed) {
            assertEquals("BrokerLostException", failure.exception(), "calls in flight fail with BrokerLost: "
                + failure);
            assertTrue(failure.atNs() - (cutNs + BROKER_LOST_BOUND_NS) <= 0, "BrokerLost "
                + ms(failure.atNs() - cutNs) + " after the cut, past the bound " + ms(BROKER_LOST_BOUND_NS));
        }
        long firstLostNs = failed.stream().mapToLong(HostLoadReport.Failure::atNs).min().orElseThrow();
        assertTrue(failed.size() <= 64, "at most the calls in flight fail: " + failed.size());

        long restoreNs = System.nanoTime();
        brokerHost.restore();
        TestCluster.await(() -> load.refresh().firstOkAfter(workerPids, restoreNs) != Long.MIN_VALUE,
            Duration.ofSeconds(5), () -> "the same client gets no result within 5 s of the restore");
        long firstServedNs = load.firstOkAfter(workerPids, restoreNs);
        long okBefore = load.ok();
        TestCluster.await(() -> load.refresh().ok() >= okBefore + 2000, Duration.ofSeconds(20),
            () -> "the load does not carry on after the restore: " + load.okByPid());
        TestCluster.await(() -> workerCount(load) == 2, Duration.ofSeconds(10),
            () -> "both workers registered again within 10 s of the restore:\n" + load.status());
        long rejoinedNs = System.nanoTime();
        assertEquals(workerPids, workerHost.pids(), "no worker restarted");
        assertTrue(broker.isAlive() && workers.stream().allMatch(TestCluster.ManagedProcess::isAlive));
        load.send("stop");
        TestCluster.await(() -> load.refresh().done(), Duration.ofSeconds(40), () -> "client did not end");
        assertEquals(0, load.bad(), "wrong results: " + load.problems());
        assertTrue(load.problems().isEmpty(), "client problems: " + load.problems());
        assertEquals(failed, load.failures(), "no failure after the broker came back");
        report("broker host cut", "cut -> first BrokerLost " + ms(firstLostNs - cutNs) + " (bound "
            + ms(BROKER_LOST_BOUND_NS) + "), restore -> first job served " + ms(firstServedNs - restoreNs)
            + ", restore -> both workers registered at most " + ms(rejoinedNs - restoreNs)
            + ", jobs failed " + failed.size() + ", jobs in all " + load.ok());
    }

    private TestCluster.ManagedProcess startBroker(TestHosts.Host host) {
        TestCluster.ManagedProcess broker = cluster.start("broker", host.command(JavaCommand.of(
            BrokerProcess.class.getName(), JVM, List.of("--frontend", host.endpoint(5555), "--backend",
                host.endpoint(5556), "--heartbeat", host.endpoint(5557)))));
        TestCluster.await(() -> broker.log().contains("broker up"), Duration.ofSeconds(30), broker::log);
        return broker;
    }

    private TestCluster.ManagedProcess startJavaWorker(TestHosts.Host host, TestHosts.Host brokerHost) {
        return cluster.start("java-worker", host.command(JavaCommand.of(WorkerMain.class.getName(), JVM,
            List.of("--backend", brokerHost.endpoint(5556), "--heartbeat", brokerHost.endpoint(5557),
                "io.powerhose.testing.TestTargets::echo"))));
    }

    private TestCluster.ManagedProcess startCWorker(TestHosts.Host host, TestHosts.Host brokerHost) {
        return cluster.start("c-worker", host.command(List.of(NATIVE_BUILD.resolve("powerhose-worker-echo")
            .toString(), "--backend", brokerHost.endpoint(5556), "--heartbeat", brokerHost.endpoint(5557))));
    }

    private HostLoadReport startClient(TestHosts.Host host, TestHosts.Host brokerHost, int ratePerS, int inFlight) {
        HostLoadReport load = new HostLoadReport(cluster.start("client", host.command(JavaCommand.of(
            HostLoad.class.getName(), JVM, List.of(brokerHost.endpoint(5555), Integer.toString(ratePerS),
                Integer.toString(inFlight), "30000")))));
        load.awaitReady();
        return load;
    }

    private static void awaitWorkers(HostLoadReport load, int count) {
        TestCluster.await(() -> workerCount(load) == count, Duration.ofSeconds(30),
            () -> "expected " + count + " workers:\n" + load.status());
    }

    private static int workerCount(HostLoadReport load) {
        String status = load.status();
        return status.contains("workers=") ? Integer.parseInt(TestCluster.value(status, "workers")) : -1;
    }

    /** Holds a cut for a planned time: the scenario's own duration, not a wait for a condition. */
    private static void waitUntil(long deadlineNs) {
        long leftNs;
        while ((leftNs = deadlineNs - System.nanoTime()) > 0) {
            LockSupport.parkNanos(leftNs);
        }
    }

    private static String ms(long ns) {
        return String.format(Locale.ROOT, "%.0f ms", ns / 1e6);
    }

    private static void report(String what, String figures) {
        System.out.println("many hosts, " + what + ": " + figures);
    }
}
