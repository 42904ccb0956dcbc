package io.powerhose;

import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chaos: four workers (two Java, two C) behind a real broker, a random one SIGKILLed every 1 to 3 s and replaced,
 * while two clients keep 64 jobs in flight with unique payloads for 30 s (system property
 * {@code powerhose.chaos.seconds} for longer). One client is at-most-once (the default), the other at-least-once
 * ({@code retryable(true)}). Every worker logs each job it runs, so the test counts real runs per job.
 *
 * <p>Promised, and checked: no wrong payload; every call completes; an at-most-once job fails only with
 * {@link WorkerLostException} naming a killed worker, and ran at most once; a retryable job never fails and ran at
 * most twice.
 */
@Tag("slow")
@Timeout(150)
class ChaosTest {
    private static final Path NATIVE_BUILD = Path.of("..", "native", "build").toAbsolutePath().normalize();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);
    private static final int IN_FLIGHT_PER_CLIENT = 32;

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private final List<Path> runLogs = new CopyOnWriteArrayList<>();
    private int workerCount;

    /** One client's load: 32 jobs in flight, unique payloads, every outcome recorded. */
    private static final class Load implements Runnable {
        final String prefix;
        final Client client;
        final long endNs;
        final Semaphore slots = new Semaphore(IN_FLIGHT_PER_CLIENT);
        final AtomicLong submitted = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong wrongPayloads = new AtomicLong();
        final Map<String, AtomicLong> failuresByType = new ConcurrentHashMap<>();
        final Set<Long> lostWorkerPids = ConcurrentHashMap.newKeySet();
        final List<String> examples = new CopyOnWriteArrayList<>();

        Load(String prefix, Client client, long endNs) {
            this.prefix = prefix;
            this.client = client;
            this.endNs = endNs;
        }

        @Override
        public void run() {
            long seq = 0;
            while (System.nanoTime() - endNs < 0) {
                slots.acquireUninterruptibly();
                String data = prefix + (seq++) + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
                submitted.incrementAndGet();
                client.submitForResult(new Job(data), CALL_TIMEOUT).whenComplete((result, error) -> {
                    try {
                        record(data, result, error);
                    } finally {
                        slots.release();
                    }
                });
            }
        }

        private void record(String data, JobResult result, Throwable error) {
            if (error == null) {
                ok.incrementAndGet();
                if (!result.dataAsString().equals(data)) {
                    wrongPayloads.incrementAndGet();
                    note("sent " + data + ", got " + result.dataAsString());
                }
                return;
            }
            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            failuresByType.computeIfAbsent(cause.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
            if (cause instanceof WorkerLostException lost) {
                lostWorkerPids.add(lost.workerPid());
            }
            note(data + ": " + cause);
        }

        private void note(String example) {
            if (examples.size() < 10) {
                examples.add(example);
            }
        }

        long completed() {
            return ok.get() + failuresByType.values().stream().mapToLong(AtomicLong::get).sum();
        }

        String summary() {
            return prefix + ": submitted=" + submitted + " ok=" + ok + " wrong=" + wrongPayloads + " failures="
                + new TreeMap<>(failuresByType) + " examples=" + examples;
        }
    }

    @Test
    void killingAWorkerEveryOneToThreeSecondsLosesNoAnswerAndRetryableJobsNeverFail() throws Exception {
        long seconds = Long.getLong("powerhose.chaos.seconds", 30);
        cluster.startBroker();
        List<ManagedProcess> workers = new ArrayList<>();
        List<String> kinds = new ArrayList<>(List.of("java", "c", "java", "c"));
        for (String kind : kinds) {
            workers.add(startWorker(kind));
        }
        cluster.awaitWorkers(4);
        ClientOptions.Builder options = ClientOptions.builder().timeout(CALL_TIMEOUT).timeoutMaxOverflow(CALL_TIMEOUT);
        long endNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Load atMostOnce = new Load("once-", cluster.client(options), endNs);
        Load retrying = new Load("retry-", cluster.client(options.retryable(true)), endNs);
        Thread onceThread = new Thread(atMostOnce, "chaos-once");
        Thread retryThread = new Thread(retrying, "chaos-retry");
        onceThread.start();
        retryThread.start();

        Map<Long, String> killed = new HashMap<>();
        while (System.nanoTime() - endNs < 0) {
            // The chaos's own cadence, not a wait for a condition.
            Thread.sleep(ThreadLocalRandom.current().nextLong(1_000, 3_001));
            int victim = ThreadLocalRandom.current().nextInt(workers.size());
            ManagedProcess worker = workers.get(victim);
            killed.put(worker.pid(), kinds.get(victim));
            worker.kill();
            workers.set(victim, startWorker(kinds.get(victim)));
        }
        onceThread.join(30_000);
        retryThread.join(30_000);
        TestCluster.await(() -> atMostOnce.completed() == atMostOnce.submitted.get()
                && retrying.completed() == retrying.submitted.get(), Duration.ofSeconds(45),
            () -> "uncompleted calls:\n" + atMostOnce.summary() + "\n" + retrying.summary());

        Map<String, Integer> runsByJob = runsByJob();
        String status = retrying.client.status(Duration.ofSeconds(2)).orElseThrow();
        String report = "kills=" + killed.size() + " " + killed + "\n" + atMostOnce.summary() + "\n"
            + retrying.summary() + "\nbroker:\n" + status;
        System.out.println("chaos: " + report);

        assertTrue(killed.size() >= seconds / 3, report);
        assertTrue(atMostOnce.ok.get() > 1_000 && retrying.ok.get() > 1_000, "too little work to judge:\n" + report);
        assertEquals(0, atMostOnce.wrongPayloads.get() + retrying.wrongPayloads.get(), report);
        assertEquals(Set.of(), Set.copyOf(retrying.failuresByType.keySet()), "a retryable job failed:\n" + report);
        assertTrue(Set.of("WorkerLostException").containsAll(atMostOnce.failuresByType.keySet()), report);
        assertTrue(killed.keySet().containsAll(atMostOnce.lostWorkerPids),
            "a worker that was not killed lost a job: " + atMostOnce.lostWorkerPids + "\n" + report);
        assertTrue(Long.parseLong(TestCluster.value(status, "jobs_retried")) > 0, "no retry exercised:\n" + report);

        int ranTwice = 0;
        for (Map.Entry<String, Integer> runs : runsByJob.entrySet()) {
            boolean retryable = runs.getKey().startsWith("retry-");
            assertTrue(runs.getValue() <= (retryable ? 2 : 1), runs.getKey() + " ran " + runs.getValue()
                + " times\n" + report);
            ranTwice += runs.getValue() == 2 ? 1 : 0;
        }
        long answeredOk = atMostOnce.ok.get() + retrying.ok.get();
        long okRuns = runsByJob.size();
        assertTrue(okRuns >= answeredOk, "every answered job ran: " + okRuns + " jobs in the run logs, "
            + answeredOk + " answered OK\n" + report);
        System.out.println("chaos: " + runsByJob.size() + " jobs ran, " + ranTwice + " of them twice (retried)");
    }

    private ManagedProcess startWorker(String kind) {
        Path log = cluster.dir().resolve("runs-" + (++workerCount) + "-" + kind + ".log");
        runLogs.add(log);
        if (kind.equals("java")) {
            return cluster.startJavaWorker("io.powerhose.testing.TestTargets::recordRun", "--params", "run_log:" + log);
        }
        return cluster.start("c-echo", List.of(NATIVE_BUILD.resolve("powerhose-worker-echo").toString(),
            "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat(), "--params", "run_log:" + log));
    }

    private Map<String, Integer> runsByJob() {
        Map<String, Integer> runs = new HashMap<>();
        for (Path log : runLogs) {
            try {
                if (Files.exists(log)) {
                    for (String line : Files.readAllLines(log)) {
                        if (!line.isEmpty()) {
                            runs.merge(line, 1, Integer::sum);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return runs;
    }
}
