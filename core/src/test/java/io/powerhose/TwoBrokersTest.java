package io.powerhose;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.cluster.WorkerMain;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.BrokerKillLoad;
import io.powerhose.testing.BrokerProcess;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two brokers (docs/PROTOCOL.md, "Several brokers"): two broker processes, four Java worker processes registered with
 * both (capacity 2 each), and one client given both frontends, 64 jobs in flight. Broker A is SIGKILLed under load.
 *
 * <p>Checked ({@link BrokerKillLoad}): every call ends exactly once, with its own correct result or
 * {@link BrokerLostException} (at most once)
 * — or, for retryable jobs, with its result (sent once more to broker B); no call made after the client detected the
 * loss fails; no worker ever runs more than its capacity at once, counting the jobs of both brokers; once A is
 * restarted, the workers register with it again and the same client sends it jobs.
 */
@Tag("slow")
@Timeout(120)
class TwoBrokersTest {
    private static final int WORKERS = 4;
    private static final int CAPACITY = 2;
    private static final String TARGET = "io.powerhose.testing.TestTargets::concurrency";
    private static final List<String> JVM = List.of("-ea", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Xmx256m");

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    /** One broker's three endpoints, ipc files in the test's temp dir. */
    private record Ends(String name, String frontend, String backend, String heartbeat) {
    }

    @Test
    void killingOneBrokerUnderLoadFailsOnlyItsCallsInFlightAndTheOtherServesEveryLaterCall() {
        Ends a = ends("a");
        Ends b = ends("b");
        ManagedProcess brokerA = startBroker(a);
        startBroker(b);
        startWorkers(a, b);
        Client client = cluster.closeAfter(new Client(ClientOptions.builder()
            .frontend(a.frontend() + "," + b.frontend()).timeout(Duration.ofSeconds(10))
            .timeoutMaxOverflow(Duration.ofSeconds(15)).build()));

        assertEquals(0, check(BrokerKillLoad.run(client, 1_000, 0, null, CAPACITY, false)), "warm-up");
        assertTrue(routed(a) > 0 && routed(b) > 0, "the client sends jobs to both brokers");
        long[] killNs = new long[1];
        BrokerKillLoad.Outcome load = BrokerKillLoad.run(client, 20_000, 5_000, () -> {
            killNs[0] = System.nanoTime();
            brokerA.process().destroyForcibly(); // SIGKILL, with 64 calls in flight; the load goes on meanwhile
        }, CAPACITY, false);
        brokerA.waitFor(Duration.ofSeconds(10));

        int failed = check(load);
        long detectionMs = TimeUnit.NANOSECONDS.toMillis(load.firstLostNs() - killNs[0]);
        System.out.printf("two brokers, SIGKILL of A at 64 in flight: %d of %d calls failed (BrokerLost),"
            + " detected %d ms after the kill%n", failed, load.jobs(), detectionMs);
        assertTrue(failed > 0 && failed <= BrokerKillLoad.IN_FLIGHT, "calls in flight on A fail, at most the 64 in"
            + " flight: " + failed);
        assertTrue(detectionMs < 2_000, "the client detected the loss in " + detectionMs + " ms");
        assertTrue(routed(b) > 0, "broker B routed jobs");

        // Restart A: the workers register with it again, and the same client sends it jobs.
        startBroker(a);
        awaitWorkers(a, WORKERS);
        BrokerKillLoad.Outcome after = BrokerKillLoad.run(client, 2_000, 0, null, CAPACITY, false);
        assertEquals(0, check(after), "every call after A's restart succeeds");
        assertTrue(routed(a) > 0, "the restarted broker A routed jobs of the same client");
    }

    @Test
    void retryableJobsInFlightOnAKilledBrokerAreSentOnceToTheOther() {
        Ends a = ends("a");
        Ends b = ends("b");
        ManagedProcess brokerA = startBroker(a);
        startBroker(b);
        startWorkers(a, b);
        Client client = cluster.closeAfter(new Client(ClientOptions.builder()
            .frontend(a.frontend() + "," + b.frontend()).retryable(true).timeout(Duration.ofSeconds(10))
            .timeoutMaxOverflow(Duration.ofSeconds(15)).build()));

        BrokerKillLoad.Outcome load = BrokerKillLoad.run(client, 10_000, 3_000,
            () -> brokerA.process().destroyForcibly(), CAPACITY, true);
        brokerA.waitFor(Duration.ofSeconds(10));

        assertEquals(0, check(load), "no retryable call fails when one of two brokers is killed");
    }

    private Ends ends(String name) {
        String dir = "ipc://" + cluster.dir().resolve(name);
        return new Ends(name, dir + "-front.ipc", dir + "-back.ipc", dir + "-beat.ipc");
    }

    private ManagedProcess startBroker(Ends ends) {
        ManagedProcess process = cluster.start("broker-" + ends.name(), JavaCommand.of(BrokerProcess.class.getName(),
            JVM, List.of("--frontend", ends.frontend(), "--backend", ends.backend(), "--heartbeat",
                ends.heartbeat())));
        TestCluster.await(() -> Probe.ping(ends.frontend(), Duration.ofMillis(200)) == process.pid(),
            Duration.ofSeconds(20), () -> "broker " + ends.name() + " did not answer PING:\n" + process.log());
        return process;
    }

    private void startWorkers(Ends a, Ends b) {
        for (int i = 0; i < WORKERS; i++) {
            cluster.start("java-worker", JavaCommand.of(WorkerMain.class.getName(), JVM, List.of(
                "--backend", a.backend() + "," + b.backend(), "--heartbeat", a.heartbeat() + "," + b.heartbeat(),
                "--capacity", Integer.toString(CAPACITY), TARGET)));
        }
        awaitWorkers(a, WORKERS);
        awaitWorkers(b, WORKERS);
    }

    private void awaitWorkers(Ends ends, int count) {
        TestCluster.await(() -> {
            String status = Probe.status(ends.frontend(), Duration.ofSeconds(1));
            return status != null && Integer.parseInt(TestCluster.value(status, "workers")) == count;
        }, Duration.ofSeconds(30), () -> "broker " + ends.name() + " did not see " + count + " workers:\n"
            + Probe.status(ends.frontend(), Duration.ofSeconds(1)) + "\n" + cluster.logs());
    }

    private static long routed(Ends ends) {
        String status = Probe.status(ends.frontend(), Duration.ofSeconds(2));
        return status == null ? -1 : Long.parseLong(TestCluster.value(status, "jobs_routed"));
    }

    /**
     * Checks a load: nothing wrong (every call ended once, with its own result or an allowed BrokerLost made before
     * the loss was detected), and some worker ran its whole capacity at once, never more.
     *
     * @return how many calls failed
     */
    private static int check(BrokerKillLoad.Outcome load) {
        assertEquals(List.of(), load.wrong().subList(0, Math.min(5, load.wrong().size())), load.wrong().size()
            + " wrong outcome(s)");
        assertEquals(CAPACITY, load.mostAtOnce(), "the workers ran up to their capacity at once, never more");
        return load.failed();
    }
}
