package io.powerhose;

import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The original's test cases and the request/reply path, against a real broker and real worker processes. */
@Timeout(120)
class RequestReplyTest {
    private static final String TARGETS = "io.powerhose.testing.TestTargets::";

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void echoReturnsTheJobData() {
        cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        assertEquals("test", client.execute("test"));
        byte[] binary = {0, ':', ':', ':', (byte) 0xff};
        assertArrayEquals(binary, client.execute(binary));
    }

    @Test
    void headersReachTheHandler() {
        cluster.startBroker();
        cluster.startJavaWorker(TARGETS + "headerAndData");
        cluster.awaitWorkers(1);
        assertEquals("v:1|data", new String(cluster.client().execute(new Job("data", Map.of("h", "v:1")))));
    }

    @Test
    void failingJobRaisesWithItsMessageAndTheWorkerCarriesOn() {
        cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "fail");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        JobFailedException e = assertThrows(JobFailedException.class, () -> client.execute("abc"));
        assertEquals("java.lang.IllegalStateException", e.remoteType());
        assertEquals("boom: abc", e.remoteMessage());
        assertEquals(worker.pid(), e.workerPid());
        JobFailedException again = assertThrows(JobFailedException.class, () -> client.execute("def"));
        assertEquals("boom: def", again.remoteMessage());
    }

    @Test
    void jobSlowerThanMaxOverflowTimesOut() {
        cluster.startBroker();
        cluster.startJavaWorker(TARGETS + "sleep");
        cluster.awaitWorkers(1);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofMillis(500))
            .timeoutMaxOverflow(Duration.ofSeconds(1)));
        long start = System.nanoTime();
        JobTimeoutException e = assertThrows(JobTimeoutException.class, () -> client.execute("1500"));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMs >= 1000 && elapsedMs < 1400, "timed out after " + elapsedMs + " ms");
        assertEquals(Duration.ofSeconds(1), e.timeout());
    }

    @Test
    void overflowSequenceReturnsThenRaisesThenResetsOnTime() {
        cluster.startBroker();
        cluster.startJavaWorker(TARGETS + "sleep");
        cluster.awaitWorkers(1);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofMillis(500))
            .timeoutMaxOverflow(Duration.ofMillis(1500)).timeoutOverflows(1));
        assertTrue(client.execute("700").startsWith("slept 700"), "first overflow returns the result");
        assertThrows(JobTimeoutException.class, () -> client.execute("700"), "second overflow in a row raises");
        assertTrue(client.execute("10").startsWith("slept 10"), "an on-time job");
        assertTrue(client.execute("700").startsWith("slept 700"), "the count was reset");
    }

    @Test
    void pingReturnsTheBrokerPid() {
        Broker broker = cluster.startBroker();
        assertEquals(ProcessHandle.current().pid(), broker.pid());
        assertEquals(broker.pid(), cluster.client().ping(Duration.ofSeconds(1)).getAsLong());
    }

    @Test
    void pingWithoutBrokerIsEmpty() {
        assertFalse(cluster.client().ping(Duration.ofMillis(300)).isPresent());
    }

    @Test
    void noWorkerRaisesNoWorkerAfterTheGrace() {
        cluster.startBroker(cluster.brokerOptions().noWorkerGrace(Duration.ofMillis(300)).build());
        long start = System.nanoTime();
        assertThrows(NoWorkerException.class, () -> cluster.client().execute("x"));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMs >= 250 && elapsedMs < 2000, "answered after " + elapsedMs + " ms");
    }

    @Test
    void workerWithMaxAgeLeavesAfterItsRunningJobReturns() {
        cluster.startBroker(cluster.brokerOptions().noWorkerGrace(Duration.ofMillis(200)).build());
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "sleep", "--max-age", "1.5");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        // A job that is still running when max age is reached still returns its result.
        assertTrue(client.execute("2500").startsWith("slept 2500 in " + worker.pid()));
        assertEquals(0, worker.waitFor(Duration.ofSeconds(10)), "the worker exits by itself");
        cluster.awaitWorkers(0);
        assertThrows(NoWorkerException.class, () -> client.execute("1"), "nothing routed to the departed worker");
    }

    @Test
    void lateReplyIsDroppedAndTheNextCallGetsItsOwnResult() {
        cluster.startBroker();
        cluster.startJavaWorker(TARGETS + "sleep");
        cluster.awaitWorkers(1);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofMillis(300))
            .timeoutMaxOverflow(Duration.ofMillis(500)));
        assertThrows(JobTimeoutException.class, () -> client.execute("900"));
        assertTrue(client.execute("1", Duration.ofSeconds(2)).startsWith("slept 1 in"), "own result, not the late one");
        TestCluster.await(() -> client.lateReplies() == 1, Duration.ofSeconds(5),
            () -> "late replies: " + client.lateReplies());
    }

    @Test
    void workerKilledMidJobFailsTheCallQuickly() {
        cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "sleep");
        cluster.awaitWorkers(1);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(20))
            .timeoutMaxOverflow(Duration.ofSeconds(30)));
        CompletableFuture<byte[]> call = client.submit(new Job("15000"));
        TestCluster.await(() -> "1".equals(TestCluster.value(client.status(Duration.ofSeconds(1)).orElse(""),
            "in_flight")), Duration.ofSeconds(5), () -> "job never started");
        long killedAt = System.nanoTime();
        worker.kill();
        WorkerLostException lost = assertThrows(WorkerLostException.class, () -> unwrap(call));
        long afterMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertEquals(worker.pid(), lost.workerPid());
        assertTrue(afterMs < 4_500, "worker lost reported after " + afterMs + " ms");
    }

    private static Object unwrap(CompletableFuture<byte[]> call) {
        try {
            return call.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw (RuntimeException) e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void tenThousandJobsFromFourThreadsThroughTwoWorkersAllAnswered() throws Exception {
        cluster.startBroker();
        ManagedProcess first = cluster.startJavaWorker(TARGETS + "pid");
        ManagedProcess second = cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(2);
        Client client = cluster.client();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Set<String>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(threads.submit(() -> {
                    Set<String> seen = new HashSet<>();
                    List<CompletableFuture<byte[]>> inFlight = new ArrayList<>();
                    List<String> sent = new ArrayList<>();
                    for (int i = 0; i < 2_500; i++) {
                        String data = "job-" + thread + "-" + i;
                        sent.add(data);
                        inFlight.add(client.submit(new Job(data)));
                    }
                    for (int i = 0; i < inFlight.size(); i++) {
                        String result = new String(inFlight.get(i).get());
                        if (!result.equals(sent.get(i))) {
                            assertEquals(Long.toString(first.pid()), result, "a pid job's own result");
                        }
                        seen.add(result.equals(sent.get(i)) ? "echo" : "pid");
                    }
                    return seen;
                }));
            }
            Set<String> workersSeen = new HashSet<>();
            for (Future<Set<String>> result : results) {
                workersSeen.addAll(result.get());
            }
            assertEquals(Set.of("echo", "pid"), workersSeen, "both workers took jobs");
        } finally {
            threads.shutdownNow();
        }
        String status = client.status(Duration.ofSeconds(1)).orElseThrow();
        assertEquals("10000", TestCluster.value(status, "jobs_ok"));
        assertEquals("0", TestCluster.value(status, "in_flight"));
        assertTrue(second.isAlive());
    }

    @Test
    void jobOverTheBrokerLimitIsRefusedAndNothingIsLost() {
        cluster.startBroker(cluster.brokerOptions().maxJobBytes(1000).build());
        cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        JobTooLargeException e = assertThrows(JobTooLargeException.class, () -> client.execute(new byte[5000]));
        assertEquals(1000, e.limitBytes());
        assertEquals("small", client.execute("small"));
        Client strict = cluster.client(ClientOptions.builder().maxJobBytes(100));
        assertThrows(JobTooLargeException.class, () -> strict.execute(new byte[200]), "refused before sending");
    }

    @Test
    void busyWorkerStaysAliveThroughAJobLongerThanTheLivenessWindow() {
        cluster.startBroker(cluster.brokerOptions().heartbeatInterval(Duration.ofMillis(200)).liveness(3).build());
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "spin", "--heartbeat-interval", "0.2");
        cluster.awaitWorkers(1);
        // 2 s of CPU is more than three times the 0.6 s liveness window.
        assertEquals(Long.toString(worker.pid()), cluster.client().execute("2000"));
        assertEquals("0", TestCluster.value(cluster.client().status(Duration.ofSeconds(1)).orElseThrow(),
            "workers_lost"));
    }

    @Test
    void jobPastTheWorkerTimeoutFailsAtOnceAndTheWorkerKeepsWorking() {
        cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "sleep", "--timeout", "0.5");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        JobFailedException e = assertThrows(JobFailedException.class, () -> client.execute("3000"));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertTrue(client.execute("10").startsWith("slept 10 in " + worker.pid()), "the worker is not deaf");
        TestCluster.await(() -> worker.log().contains("TestTargets.sleep"), Duration.ofSeconds(5),
            () -> "the thread stacks were not logged:\n" + worker.log());
    }

    /**
     * A job that ignores interrupts and never ends within its timeout: the watchdog answers it, takes over the
     * sockets and keeps serving; stopping the worker then ends it at once, although the job's thread, the one
     * that started the worker, is still spinning.
     */
    @Test
    void workerWhoseJobNeverReturnsStillServesAndStops() {
        cluster.startBroker();
        Worker worker = new Worker(WorkerOptions.builder().target(TARGETS + "spin").backend(cluster.backend())
            .heartbeat(cluster.heartbeat()).timeout(Duration.ofMillis(500)).build());
        worker.start();
        try {
            cluster.awaitWorkers(1);
            Client client = cluster.client();
            JobFailedException e = assertThrows(JobFailedException.class, () -> client.execute("12000"));
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(client.execute("10").startsWith(Long.toString(ProcessHandle.current().pid())),
                "the worker still serves");
            long stopAt = System.nanoTime();
            worker.stop();
            assertEquals(Worker.Exit.STOPPED, worker.awaitExit(Duration.ofSeconds(10)));
            assertTrue(System.nanoTime() - stopAt < 5_000_000_000L, "stopped without waiting for the spinning job");
        } finally {
            worker.close();
        }
    }

    /**
     * A worker stopped (SIGTERM) while it runs a job answers it before it exits, and the answer arrives whole. The
     * Java worker used to close its DEALER with linger 0 in the pass that sent its last REPLY, so that a large
     * answer was cut off and its caller got WORKER_LOST (issue 10, item 8).
     */
    @Test
    void workerStoppedMidJobDeliversItsLastAnswerWhole() throws Exception {
        cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "large");
        cluster.awaitWorkers(1);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(20))
            .timeoutMaxOverflow(Duration.ofSeconds(30)));
        CompletableFuture<byte[]> call = client.submit(new Job("32", Map.of("sleep_ms", "1000")));
        TestCluster.await(() -> "1".equals(TestCluster.value(client.status(Duration.ofSeconds(1)).orElseThrow(),
            "in_flight")), Duration.ofSeconds(10), () -> "the job did not reach the worker");
        worker.terminate();
        assertEquals(32 << 20, call.get(30, java.util.concurrent.TimeUnit.SECONDS).length);
        assertEquals(143, worker.waitFor(Duration.ofSeconds(20)), "the JVM's exit on SIGTERM: " + worker.log());
    }

    /**
     * An Error from a job (here OutOfMemoryError) ends the worker process with a failure, for its supervisor to
     * replace, rather than leaving a worker alive that no longer serves (the original's "deaf worker").
     */
    @Test
    void jobThatThrowsAnErrorEndsTheWorkerInsteadOfLeavingItDeaf() {
        cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "outOfMemory");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        long startNs = System.nanoTime();
        PowerhoseException e = assertThrows(PowerhoseException.class, () -> client.execute("x"));
        assertTrue(e instanceof WorkerLostException || e instanceof BrokerLostException, e.toString());
        assertTrue(System.nanoTime() - startNs < 4_500_000_000L, "failed within the liveness window");
        int code = worker.waitFor(Duration.ofSeconds(10));
        assertTrue(code != 0, "the worker exits with a failure, not " + code);
        assertTrue(worker.log().contains("OutOfMemoryError"), worker.log());
    }

    /** With --capacity 3 a Java worker runs three jobs at once, each on a job thread of its own. */
    @Test
    void workerWithCapacityThreeRunsThreeJobsAtOnce() throws Exception {
        cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "sleep", "--capacity", "3");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        assertTrue(client.execute("1").startsWith("slept 1 in " + worker.pid()));
        long startNs = System.nanoTime();
        List<CompletableFuture<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(client.submit(new Job("800")));
        }
        for (CompletableFuture<byte[]> call : calls) {
            assertTrue(new String(call.get()).startsWith("slept 800 in " + worker.pid()));
        }
        long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        assertTrue(elapsedMs < 2_000, "three 800 ms jobs took " + elapsedMs + " ms: they did not run at once");
    }

    /** A job past the timeout on one job thread of a --capacity 2 worker: answered, and the slot is replaced. */
    @Test
    void jobPastTheTimeoutOnAJobThreadFailsAndTheSlotIsReplaced() {
        cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker(TARGETS + "sleep", "--capacity", "2", "--timeout", "0.5");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        JobFailedException e = assertThrows(JobFailedException.class, () -> client.execute("3000"));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        for (int i = 0; i < 4; i++) {
            assertTrue(client.execute("10").startsWith("slept 10 in " + worker.pid()), "both slots serve");
        }
    }

    /**
     * The client keeps answered calls in its deadline queue until their deadline; they must not keep their
     * payload and result alive that long (at 8,000 jobs/s of 4 KiB with the default timeout that was 300 MB of
     * live heap and 100 ms GC pauses).
     */
    @Test
    void answeredCallsDoNotKeepTheirResultsUntilTheirDeadline() throws Exception {
        cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(1);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(60))
            .timeoutMaxOverflow(Duration.ofSeconds(90)));
        WeakReference<byte[]> result = new WeakReference<>(client.submit(new Job(new byte[1 << 20])).get());
        assertEquals(1 << 20, result.get() == null ? 1 << 20 : result.get().length);
        TestCluster.await(() -> {
            System.gc();
            return result.get() == null;
        }, Duration.ofSeconds(10), () -> "the client still holds the answered call's result");
        assertEquals("still works", client.execute("still works"));
    }

    @Test
    void workerQuitsWhenTheBeatIsLost() {
        Broker broker = cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker("io.powerhose.testing.EchoHandler", "--ping-delay", "0.5",
            "--ping-retries", "2");
        cluster.awaitWorkers(1);
        broker.close();
        assertEquals(0, worker.waitFor(Duration.ofSeconds(10)));
        assertTrue(worker.log().contains("no beat from the broker"), worker.log());
    }

    @Test
    void paramsInTheDocumentedTextFormReachTheHandler() {
        cluster.startBroker();
        cluster.startJavaWorker(TARGETS + "params", "--params", "rounds:3|name:a:b");
        cluster.awaitWorkers(1);
        assertEquals("{name=a:b, rounds=3}", cluster.client().execute("x"));
    }

    @Test
    void jvmThatCannotFindLibjzmqFailsWithTheFix() {
        ManagedProcess worker = cluster.start("no-jni", io.powerhose.internal.process.JavaCommand.of(
            io.powerhose.internal.cluster.WorkerMain.class.getName(), java.util.List.of("-Djava.library.path=/nonexistent"),
            java.util.List.of("--backend", cluster.backend(), "--heartbeat", cluster.heartbeat(),
                "io.powerhose.testing.EchoHandler")));
        assertEquals(3, worker.waitFor(Duration.ofSeconds(30)), worker.log());
        assertTrue(worker.log().contains("start java with -Djava.library.path=" + NativeLibrary.jniDirectory()),
            worker.log());
    }

    @Test
    void stagesAttachedToSubmitNeverRunOnTheIoThread() throws Exception {
        cluster.startBroker();
        cluster.startJavaWorker(TARGETS + "sleep");
        cluster.awaitWorkers(1);
        java.util.concurrent.ExecutorService callbacks = Executors.newSingleThreadExecutor(
            runnable -> new Thread(runnable, "test-callbacks"));
        try {
            Client client = cluster.client(ClientOptions.builder().completionExecutor(callbacks));
            CompletableFuture<byte[]> running = client.submit(new Job("300"));
            CompletableFuture<String> before = running.thenApply(result -> Thread.currentThread().getName())
                .thenApply(name -> name + "/" + Thread.currentThread().getName());
            CompletableFuture<String> handled = running.handle((result, error) -> Thread.currentThread().getName());
            assertTrue(new String(running.get()).startsWith("slept 300"));
            CompletableFuture<String> after = running.thenApply(result -> Thread.currentThread().getName());
            assertEquals("test-callbacks/test-callbacks", before.get(), "attached before completion, and derived");
            assertEquals("test-callbacks", handled.get());
            assertEquals("test-callbacks", after.get(), "attached after completion");
            JobResult detailed = client.submitForResult(new Job("1"), Duration.ofSeconds(5)).get();
            assertTrue(detailed.dataAsString().startsWith("slept 1"));
        } finally {
            callbacks.shutdownNow();
        }
    }
}
