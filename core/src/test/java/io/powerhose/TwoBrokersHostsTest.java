package io.powerhose;

import io.powerhose.internal.cluster.WorkerMain;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.BrokerKillLoad;
import io.powerhose.testing.BrokerProcess;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import io.powerhose.testing.TestHosts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two brokers on two hosts (network namespaces, {@link TestHosts}), two Java workers of capacity 2 on each of two
 * other hosts, registered with both brokers over tcp, and a client process on a fifth host given both frontends
 * ({@link BrokerKillLoad#main}). Broker A is SIGKILLed during 20,000 jobs at 64 in flight: every call ends exactly
 * once with its own result or {@link BrokerLostException}, none made after the loss was detected fails, no worker runs
 * more than 2 jobs at once; A restarted on its host: the workers register with it again and the same client sends it
 * jobs. Runs as root, as the whole suite does on this machine kind.
 */
@Tag("slow")
@Timeout(120)
class TwoBrokersHostsTest {
    private static final int CAPACITY = 2;
    private static final List<String> JVM = List.of("-ea", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Xmx256m");

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void aBrokerHostsBrokerSigkilledUnderLoadFailsOnlyItsCallsInFlightAndComesBackAfterARestart() throws IOException {
        TestHosts hosts = cluster.closeAfter(TestHosts.create(List.of("ba", "bb", "w1", "w2", "cl")));
        TestHosts.Host a = hosts.host(0);
        TestHosts.Host b = hosts.host(1);
        ManagedProcess brokerA = startBroker(a);
        startBroker(b);
        for (TestHosts.Host workers : List.of(hosts.host(2), hosts.host(3))) {
            for (int i = 0; i < 2; i++) {
                cluster.start("java-worker-" + workers.name(), workers.command(JavaCommand.of(
                    WorkerMain.class.getName(), JVM, List.of("--backend", a.endpoint(5556) + "," + b.endpoint(5556),
                        "--heartbeat", a.endpoint(5557) + "," + b.endpoint(5557), "--capacity",
                        Integer.toString(CAPACITY), "io.powerhose.testing.TestTargets::concurrency"))));
            }
        }
        ManagedProcess client = cluster.start("client", hosts.host(4).command(JavaCommand.of(
            BrokerKillLoad.class.getName(), JVM, List.of(a.endpoint(5555) + "," + b.endpoint(5555),
                Integer.toString(CAPACITY), a.endpoint(5555)))));

        TestCluster.await(() -> client.log().contains("KILL"), Duration.ofSeconds(60),
            () -> "the load did not reach the kill:\n" + cluster.logs());
        long killNs = System.nanoTime();
        brokerA.process().destroyForcibly();
        brokerA.waitFor(Duration.ofSeconds(10));
        TestCluster.await(() -> client.log().contains("OUTCOME"), Duration.ofSeconds(60), client::log);
        BrokerKillLoad.Outcome outcome = BrokerKillLoad.Outcome.parse(client.log());
        long detectionMs = TimeUnit.NANOSECONDS.toMillis(outcome.firstLostNs() - killNs);
        System.out.printf("two brokers on hosts, SIGKILL of A at 64 in flight: %d of %d calls failed (BrokerLost),"
            + " detected %d ms after the kill%n", outcome.failed(), outcome.jobs(), detectionMs);
        assertEquals(List.of(), outcome.wrong());
        assertTrue(outcome.failed() > 0 && outcome.failed() <= BrokerKillLoad.IN_FLIGHT,
            "calls in flight on A fail, at most the 64 in flight: " + outcome.failed());
        assertTrue(detectionMs >= 0 && detectionMs < 2_000, "the client detected the loss in " + detectionMs + " ms");
        assertEquals(CAPACITY, outcome.mostAtOnce(), "the workers ran up to their capacity at once, never more");

        startBroker(a);
        OutputStream toClient = client.process().getOutputStream();
        toClient.write("restarted\n".getBytes(StandardCharsets.UTF_8));
        toClient.flush();
        TestCluster.await(() -> client.log().contains("ROUTED "), Duration.ofSeconds(60), client::log);
        String log = client.log();
        BrokerKillLoad.Outcome after = BrokerKillLoad.Outcome.parse(log.substring(log.indexOf("AFTER ") + 6));
        assertEquals(List.of(), after.wrong());
        assertEquals(0, after.failed(), "every call after A's restart succeeds");
        long routed = Long.parseLong(log.substring(log.indexOf("ROUTED ") + 7).lines().findFirst().orElseThrow()
            .strip());
        assertTrue(routed > 0, "the restarted broker A routed jobs of the same client: " + routed);
        client.waitFor(Duration.ofSeconds(20));
    }

    private ManagedProcess startBroker(TestHosts.Host host) {
        return cluster.start("broker-" + host.name(), host.command(JavaCommand.of(BrokerProcess.class.getName(), JVM,
            List.of("--frontend", host.endpoint(5555), "--backend", host.endpoint(5556), "--heartbeat",
                host.endpoint(5557)))));
    }
}
