package io.powerhose;

import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.OverloadClient;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The client's bounds (issue 10, items 1 and 11): with no broker, or a broker with no worker, a client flooded with
 * submits never blocks its I/O thread, completes every call by its deadline (counted from {@code submit()}), holds
 * a bounded amount of memory, and closes promptly. The floods run in a child JVM with a small heap, so that a client
 * that holds calls without bound fails with an OutOfMemoryError instead of passing. Also: the bounds refuse at once
 * and give room back, and calls wait unsent for a broker that is not there yet.
 */
@Timeout(120)
class ClientBoundsTest {
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void noBrokerAndAHundredThousandCallsAllCompleteOnTimeAndCloseReturns() {
        String summary = overload(cluster.frontend(), 100_500, 1_000, 2_000, 200_000);
        assertEquals("100500", TestCluster.value(summary, "completed"), summary);
        assertEquals("100500", TestCluster.value(summary, "outcome.JobTimeoutException"),
            "with room for all, every call waits unsent until its deadline: " + summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "latest_past_deadline_ms")) < 1_000, summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "earliest_timeout_before_deadline_ms")) <= 0,
            "no call times out before its deadline: " + summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "close_ms")) < 2_000, summary);
    }

    @Test
    void noBrokerAndTheDefaultBoundRefusesPastTenThousandAtOnce() {
        String summary = overload(cluster.frontend(), 100_500, 1_000, 2_000, ClientOptions.DEFAULT_MAX_PENDING_CALLS);
        assertEquals("100500", TestCluster.value(summary, "completed"), summary);
        assertEquals("10000", TestCluster.value(summary, "outcome.JobTimeoutException"), summary);
        assertEquals("90500", TestCluster.value(summary, "outcome.ClientBusyException"), summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "latest_past_deadline_ms")) < 1_000, summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "close_ms")) < 2_000, summary);
    }

    /**
     * The client may hold twice the broker's queue bound (10,000), so the broker refuses half: BrokerBusy must come
     * promptly (within the time the broker takes to read 20,000 requests; it took a median 4.8 s before the client
     * bounds), NoWorker after the broker's 1 s grace, and the client's own refusals at once.
     */
    @Test
    void aMillionSubmitsWithNoWorkerFailFastOnTimeInBoundedMemory() {
        cluster.startBroker();
        String summary = overload(cluster.frontend(), 1_000_000, 1_000, 2_000, 20_000);
        assertEquals("1000000", TestCluster.value(summary, "completed"), summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "latest_past_deadline_ms")) < 1_000, summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "outcome.NoWorkerException")) > 0, summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "max_ms.NoWorkerException")) < 2_000,
            "NoWorker comes after the broker's 1 s grace, not seconds later: " + summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "outcome.BrokerBusyException")) > 0, summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "max_ms.BrokerBusyException")) < 2_000,
            "BrokerBusy comes at once, not after seconds: " + summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "max_ms.ClientBusyException")) < 1_000,
            "a refusal is immediate: " + summary);
        assertTrue(Long.parseLong(TestCluster.value(summary, "close_ms")) < 2_000, summary);
    }

    @Test
    void pastMaxPendingCallsAJobFailsAtOnceAndRoomComesBackWhenACallEnds() throws Exception {
        Client client = cluster.client(ClientOptions.builder().maxPendingCalls(3).timeout(Duration.ofSeconds(20))
            .timeoutMaxOverflow(Duration.ofSeconds(20)));
        List<CompletableFuture<byte[]>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(client.submit(new Job("held-" + i)));
        }
        assertEquals(3, client.pendingCalls());
        CompletableFuture<byte[]> refused = client.submit(new Job("refused"));
        assertTrue(refused.isDone(), "refused at once, not after a wait");
        ClientBusyException busy = assertInstanceOf(ClientBusyException.class, failureOf(refused));
        assertEquals("maxPendingCalls", busy.limitName());
        assertEquals(3, busy.limit());
        ClientBusyException thrown = assertThrows(ClientBusyException.class, () -> client.execute("refused too"));
        assertTrue(thrown.getSuppressed().length == 1, "execute adds the caller's stack");

        assertTrue(held.get(0).cancel(true));
        TestCluster.await(() -> client.pendingCalls() == 2, Duration.ofSeconds(5), () -> "room not given back");
        CompletableFuture<byte[]> accepted = client.submit(new Job("accepted"));
        assertTrue(!accepted.isDone(), "room again after one call ended");
        assertEquals(3, client.pendingCalls());
    }

    @Test
    void pastMaxPendingBytesAJobFailsAtOnce() {
        Client client = cluster.client(ClientOptions.builder().maxJobBytes(1_000).maxPendingBytes(2_000));
        client.submit(new Job(new byte[900]));
        client.submit(new Job(new byte[900]));
        ClientBusyException busy = assertInstanceOf(ClientBusyException.class,
            failureOf(client.submit(new Job(new byte[900]))));
        assertEquals("maxPendingBytes", busy.limitName());
        assertEquals(2_000, busy.limit());
        assertTrue(busy.getMessage().contains("maxPendingBytes=2000"), busy.getMessage());
    }

    @Test
    void boundsAreCheckedWhenTheOptionsAreBuilt() {
        ConfigurationException small = assertThrows(ConfigurationException.class,
            () -> ClientOptions.builder().maxPendingBytes(1_000).build());
        assertTrue(small.getMessage().contains("maxPendingBytes=1000 < maxJobBytes=16777216"), small.getMessage());
        assertThrows(ConfigurationException.class, () -> ClientOptions.builder().maxPendingCalls(0).build());
        ClientOptions options = ClientOptions.builder().maxPendingCalls(7).maxPendingBytes(1L << 30).retryable(true)
            .build();
        assertEquals(7, options.newBuilder().build().maxPendingCalls());
        assertEquals(1L << 30, options.newBuilder().build().maxPendingBytes());
        assertTrue(options.newBuilder().build().retryable());
    }

    @Test
    void callsMadeBeforeTheBrokerStartsAreSentWhenItComes() throws Exception {
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(20))
            .timeoutMaxOverflow(Duration.ofSeconds(20)));
        List<CompletableFuture<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(client.submit(new Job("early-" + i)));
        }
        cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.TestTargets::echo");
        for (int i = 0; i < 3; i++) {
            assertEquals("early-" + i, new String(calls.get(i).get(30, TimeUnit.SECONDS)));
        }
        assertEquals(0, client.pendingCalls());
    }

    @Test
    void jobThatTimedOutBeforeAnyBrokerCameIsNeverSent() {
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofMillis(300))
            .timeoutMaxOverflow(Duration.ofMillis(300)));
        JobTimeoutException timeout = assertThrows(JobTimeoutException.class, () -> client.execute("too early"));
        assertTrue(timeout.getMessage().contains("not sent"), timeout.getMessage());
        cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.TestTargets::echo");
        cluster.awaitWorkers(1);
        assertEquals("on time", client.execute("on time", Duration.ofSeconds(20)));
        String status = client.status(Duration.ofSeconds(2)).orElseThrow();
        assertEquals("1", TestCluster.value(status, "jobs_received"), "the timed-out job never reached the broker");
    }

    private static Throwable failureOf(CompletableFuture<?> call) {
        try {
            Object result = call.get(30, TimeUnit.SECONDS);
            return fail("expected a failure, got " + result);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }

    /** Runs {@link OverloadClient} in a child JVM with a 96 MB heap; returns its summary. */
    private String overload(String frontend, int calls, long timeoutMs, long maxOverflowMs, int maxPendingCalls) {
        ManagedProcess client = cluster.start("overload-client", JavaCommand.of(OverloadClient.class.getName(),
            List.of("-Xmx96m", "-XX:+UseSerialGC"),
            List.of(frontend, Integer.toString(calls), Long.toString(timeoutMs), Long.toString(maxOverflowMs),
                Integer.toString(maxPendingCalls))));
        int exit = client.waitFor(Duration.ofSeconds(60));
        String summary = client.log();
        System.out.println(summary);
        assertEquals(0, exit, summary);
        return summary;
    }
}
