package io.powerhose;

import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Delivery guarantees with real workers: at-most-once by default, at-least-once (at most twice) for retryable jobs,
 * the poison-job cap, and cancellation of queued and running jobs. Every worker records each run of a job in its own
 * run log, so the tests count what really ran, not only what the client was told.
 */
@Timeout(120)
class DeliveryTest {
    private static final Path NATIVE_BUILD = Path.of("..", "native", "build").toAbsolutePath().normalize();
    private static final String RECORD_RUN = "io.powerhose.testing.TestTargets::recordRun";
    private static final Duration LONG = Duration.ofSeconds(30);

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    // ------------------------------------------------------------------------------------------ retry

    @Test
    void killedWorkersRetryableJobIsAnsweredByAnotherWorkerAndTheOtherJobFails() throws Exception {
        cluster.startBroker();
        Path firstLog = cluster.dir().resolve("runs-first.log");
        ManagedProcess first = javaWorker(firstLog, "--capacity", "2");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        CompletableFuture<JobResult> retryable = client.submitForResult(
            new Job("retryable").addHeader("sleep_ms", "3000").retryable(true), LONG);
        CompletableFuture<JobResult> once = client.submitForResult(
            new Job("once").addHeader("sleep_ms", "3000"), LONG);
        TestCluster.await(() -> runs(firstLog).size() == 2, LONG, () -> "both jobs running: " + runs(firstLog));
        Path secondLog = cluster.dir().resolve("runs-second.log");
        ManagedProcess second = javaWorker(secondLog);
        cluster.awaitWorkers(2);

        first.kill();
        JobResult result = retryable.get(30, TimeUnit.SECONDS);
        assertEquals("retryable", result.dataAsString());
        assertEquals(second.pid(), result.workerPid(), "the retry ran on the other worker");
        WorkerLostException lost = assertInstanceOf(WorkerLostException.class, failureOf(once));
        assertEquals(first.pid(), lost.workerPid());
        assertTrue(!lost.getMessage().contains("poison"), lost.getMessage());

        assertEquals(List.of("once", "retryable"), sorted(runs(firstLog)));
        assertEquals(List.of("retryable"), runs(secondLog), "at most once: the other job never ran again");
        String status = client.status(Duration.ofSeconds(2)).orElseThrow();
        assertEquals("1", TestCluster.value(status, "jobs_retried"), status);
        assertEquals("1", TestCluster.value(status, "jobs_worker_lost"), status);
        assertEquals("1", TestCluster.value(status, "jobs_ok"), status);
    }

    @Test
    void retryableJobThatKillsTwoWorkersIsNotRetriedAgainAndItsErrorSaysSo() {
        cluster.startBroker();
        List<ManagedProcess> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            workers.add(cluster.start("c-echo", List.of(NATIVE_BUILD.resolve("powerhose-worker-echo").toString(),
                "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat())));
        }
        cluster.awaitWorkers(3);
        Client client = cluster.client(ClientOptions.builder().retryable(true));

        WorkerLostException lost = assertThrows(WorkerLostException.class, () -> client.execute("crash", LONG));
        assertTrue(lost.getMessage().contains("not retried again") && lost.getMessage().contains("poison-job cap"),
            lost.getMessage());
        List<ManagedProcess> dead = workers.stream().filter(w -> !w.isAlive()).toList();
        assertEquals(2, dead.size(), "the job ran twice, on two workers, and killed both");
        for (ManagedProcess worker : dead) {
            assertEquals(128 + 11, worker.waitFor(Duration.ofSeconds(5)), "SIGSEGV");
        }
        assertTrue(dead.stream().anyMatch(w -> w.pid() == lost.workerPid()), "the error names the second one");
        assertEquals("after", client.execute("after", LONG), "the third worker still serves");
        String status = client.status(Duration.ofSeconds(2)).orElseThrow();
        assertEquals("1", TestCluster.value(status, "jobs_retried"), status);
        assertEquals("2", TestCluster.value(status, "workers_lost"), status);
    }

    // ------------------------------------------------------------------------------------------ cancel

    @Test
    void cancelledJobStillQueuedInTheBrokerIsDroppedAndNeverRuns() throws Exception {
        cluster.startBroker();
        Path log = cluster.dir().resolve("runs.log");
        javaWorker(log);
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        CompletableFuture<byte[]> running = client.submit(new Job("running").addHeader("sleep_ms", "1500"), LONG);
        awaitStatus(client, "in_flight", "1");
        CompletableFuture<byte[]> queued = client.submit(new Job("queued"), LONG);
        awaitStatus(client, "queued", "1");

        assertTrue(queued.cancel(true));
        assertTrue(queued.isCancelled());
        TestCluster.await(() -> client.pendingCalls() == 1, Duration.ofSeconds(5), () -> "room not given back");
        awaitStatus(client, "jobs_cancelled_queued", "1");
        awaitStatus(client, "queued", "0");
        assertEquals("running", new String(running.get(30, TimeUnit.SECONDS)));
        assertEquals("next", client.execute("next", LONG));
        assertEquals(List.of("running", "next"), runs(log), "the cancelled job never ran");
        String status = client.status(Duration.ofSeconds(2)).orElseThrow();
        assertEquals("0", TestCluster.value(status, "jobs_cancelled_running"), status);
    }

    @Test
    void cancelledRunningJobFinishesOnTheWorkerAndTheBrokerDiscardsItsResult() throws Exception {
        cluster.startBroker();
        Path log = cluster.dir().resolve("runs.log");
        javaWorker(log);
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        CompletableFuture<byte[]> running = client.submit(new Job("running").addHeader("sleep_ms", "1000"), LONG);
        TestCluster.await(() -> runs(log).equals(List.of("running")), LONG, () -> "not running: " + runs(log));

        assertTrue(running.cancel(false));
        awaitStatus(client, "jobs_cancelled_running", "1");
        awaitStatus(client, "in_flight", "0");
        assertEquals("after", client.execute("after", LONG));
        String status = client.status(Duration.ofSeconds(2)).orElseThrow();
        assertEquals("1", TestCluster.value(status, "jobs_ok"), "only the later job was answered: " + status);
        assertEquals(0, client.lateReplies(), "the broker discarded the result; nothing came back to drop");
        assertEquals(List.of("running", "after"), runs(log));
    }

    @Test
    void interruptedExecuteCancelsItsJob() throws Exception {
        cluster.startBroker();
        Path log = cluster.dir().resolve("runs.log");
        javaWorker(log);
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        CompletableFuture<byte[]> running = client.submit(new Job("running").addHeader("sleep_ms", "1500"), LONG);
        awaitStatus(client, "in_flight", "1");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                client.execute(new Job("interrupted"), LONG);
            } catch (RuntimeException e) {
                thrown.set(e);
            }
        }, "test-caller");
        caller.start();
        awaitStatus(client, "queued", "1");
        caller.interrupt();
        caller.join(10_000);
        assertTrue(thrown.get() instanceof PowerhoseException && thrown.get().getMessage().contains("cancelled"),
            "execute ends with: " + thrown.get());
        awaitStatus(client, "jobs_cancelled_queued", "1");
        assertEquals("running", new String(running.get(30, TimeUnit.SECONDS)));
        assertEquals("next", client.execute("next", LONG));
        assertEquals(List.of("running", "next"), runs(log));
        assertEquals(0, client.pendingCalls());
    }

    // ------------------------------------------------------------------------------------------ helpers

    private ManagedProcess javaWorker(Path runLog, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--params", "run_log:" + runLog, "--prefetch", "0"));
        args.addAll(List.of(extraArgs));
        ManagedProcess worker = cluster.startJavaWorker(RECORD_RUN, args.toArray(new String[0]));
        assertNotEquals(-1, worker.pid());
        return worker;
    }

    private static List<String> runs(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> sorted(List<String> lines) {
        List<String> copy = new ArrayList<>(lines);
        copy.sort(null);
        return copy;
    }

    private static void awaitStatus(Client client, String key, String value) {
        TestCluster.await(() -> value.equals(TestCluster.value(
                client.status(Duration.ofSeconds(1)).orElse(key + "=?"), key)), Duration.ofSeconds(15),
            () -> "expected " + key + "=" + value + ":\n" + client.status(Duration.ofSeconds(1)).orElse("no status"));
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
}
