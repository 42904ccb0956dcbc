package io.powerhose;

import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster supervisor, with real worker processes. */
@Timeout(180)
class ClusterTest {
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private ClusterOptions.Builder options(String target) {
        return ClusterOptions.builder(target).broker(cluster.brokerOptions().build()).background(true)
            .workerJvmOptions(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m"));
    }

    private Cluster startCluster(ClusterOptions options) {
        return cluster.closeAfter(Cluster.start(options));
    }

    private static Set<Long> runningPids(Cluster c) {
        return c.workers().stream().filter(w -> w.state() == WorkerInfo.State.RUNNING).map(WorkerInfo::pid)
            .collect(Collectors.toSet());
    }

    @Test
    void workerKilledWithSigkillIsReplacedWithinTwoSeconds() {
        Cluster c = startCluster(options("io.powerhose.testing.EchoHandler").numProcesses(2).build());
        Client client = cluster.client();
        assertEquals("before", client.execute("before"));
        long victim = c.workers().get(0).pid();
        ProcessHandle.of(victim).orElseThrow().destroyForcibly();
        long killedAt = System.nanoTime();
        TestCluster.await(() -> runningPids(c).size() == 2 && !runningPids(c).contains(victim),
            Duration.ofSeconds(2), () -> "not replaced: " + c.workers());
        long replacedMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertTrue(replacedMs < 2_000, "replaced after " + replacedMs + " ms");
        assertEquals(1, c.workers().get(0).restarts());
        c.awaitWorkers(2, Duration.ofSeconds(30));
        for (int i = 0; i < 20; i++) {
            assertEquals("after-" + i, client.execute("after-" + i));
        }
    }

    @Test
    void workerWithMaxAgeIsReplacedByAnotherPidWhileJobsKeepBeingAnswered() {
        Cluster c = startCluster(options("io.powerhose.testing.TestTargets::pid").numProcesses(2)
            .maxAge(Duration.ofSeconds(1)).maxAgeDelta(Duration.ofSeconds(1))
            .broker(cluster.brokerOptions().noWorkerGrace(Duration.ofSeconds(10)).build()).build());
        Set<Long> first = runningPids(c);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(10))
            .timeoutMaxOverflow(Duration.ofSeconds(15)));
        Set<String> answeredBy = new java.util.HashSet<>();
        long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        int jobs = 0;
        while (System.nanoTime() < until || answeredBy.stream().allMatch(pid -> first.contains(Long.parseLong(pid)))) {
            answeredBy.add(client.execute("x"));
            jobs++;
            assertTrue(jobs < 100_000, "never answered by a new worker");
        }
        assertTrue(answeredBy.stream().anyMatch(pid -> !first.contains(Long.parseLong(pid))),
            "a replacement worker answered: " + answeredBy + " vs first " + first);
        assertTrue(c.workers().stream().mapToInt(WorkerInfo::restarts).sum() >= 2, c.workers().toString());
    }

    @Test
    void targetThatDoesNotExistFailsFastWithAClearMessage() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
            () -> Cluster.start(options("com.example.NoSuchTarget").build()));
        assertTrue(e.getMessage().contains("class com.example.NoSuchTarget not found"), e.getMessage());
    }

    @Test
    void workerCommandThatDiesAtOnceStopsBeingRespawnedAndSaysWhy() {
        long start = System.nanoTime();
        PowerhoseException e = assertThrows(PowerhoseException.class, () -> Cluster.start(
            ClusterOptions.builderForCommand(List.of("/bin/false")).broker(cluster.brokerOptions().build())
                .numProcesses(1).background(true).respawnLimit(4, Duration.ofSeconds(5)).build()));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("died 4 times in a row") && e.getMessage().contains("not respawning"),
            e.getMessage());
        assertTrue(elapsedMs < 15_000, "gave up after " + elapsedMs + " ms");
    }

    @Test
    void aWorkerClassPathGivenInTheOptionsIsUsedAsIs() {
        // Without this library on it the workers cannot start: the cluster gives up by its quick-death rule.
        PowerhoseException e = assertThrows(PowerhoseException.class, () -> Cluster.start(
            options("io.powerhose.testing.EchoHandler").numProcesses(1).respawnLimit(2, Duration.ofSeconds(5))
                .workerClassPath(List.of(cluster.dir().toString())).build()));
        assertTrue(e.getMessage().contains("died 2 times in a row"), e.getMessage());
        // The test JVM's own class path, given explicitly: they start and answer.
        startCluster(options("io.powerhose.testing.EchoHandler").numProcesses(1)
            .workerClassPath(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))).build());
        assertEquals("given", cluster.client().execute("given"));
    }

    /** It used to wait for the whole 60 s start timeout: a start that failed was retried once, then never. */
    @Test
    void workerCommandThatCannotBeStartedIsAConfigurationErrorWithinSeconds() {
        long start = System.nanoTime();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Cluster.start(
            ClusterOptions.builderForCommand(List.of(cluster.dir().resolve("no-such-worker").toString()))
                .broker(cluster.brokerOptions().build()).numProcesses(2).background(true).build()));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("could not be started") && e.getMessage().contains("no-such-worker"),
            e.getMessage());
        assertTrue(elapsedMs < 10_000, "gave up after " + elapsedMs + " ms");
    }

    @Test
    void scalingFromTwoToFourToOneWhileAClientSendsContinuouslyLosesNoJob() throws Exception {
        Cluster c = startCluster(options("io.powerhose.testing.TestTargets::sleep").numProcesses(2).build());
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(10))
            .timeoutMaxOverflow(Duration.ofSeconds(20)));
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicLong answered = new AtomicLong();
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        Set<String> workersSeen = ConcurrentHashMap.newKeySet();
        Semaphore inFlight = new Semaphore(8);
        Thread sender = new Thread(() -> {
            while (sending.get()) {
                inFlight.acquireUninterruptibly();
                client.submit(new Job("20")).whenComplete((result, error) -> {
                    if (error != null) {
                        firstError.compareAndSet(null, error);
                    } else {
                        answered.incrementAndGet();
                        workersSeen.add(new String(result).replaceAll(".* in ", ""));
                    }
                    inFlight.release();
                });
            }
        }, "test-sender");
        sender.start();
        try {
            TestCluster.await(() -> answered.get() > 20, Duration.ofSeconds(30), () -> "no job answered");
            c.scale(4);
            c.awaitWorkers(4, Duration.ofSeconds(60));
            long atFour = answered.get();
            TestCluster.await(() -> answered.get() > atFour + 50, Duration.ofSeconds(30), () -> "stalled at 4");
            c.scale(1);
            c.awaitWorkers(1, Duration.ofSeconds(60));
            long atOne = answered.get();
            TestCluster.await(() -> answered.get() > atOne + 20, Duration.ofSeconds(30), () -> "stalled at 1");
        } finally {
            sending.set(false);
            sender.join();
            inFlight.acquireUninterruptibly(8);
        }
        assertEquals(null, firstError.get(), "every job answered");
        assertTrue(workersSeen.size() >= 4, "jobs reached the added workers: " + workersSeen);
        assertEquals(1, runningPids(c).size());
    }

    @Test
    void stopIsGracefulAndLeavesNoWorker() {
        Cluster c = startCluster(options("io.powerhose.testing.TestTargets::sleep").numProcesses(2).build());
        List<ProcessHandle> workers = new ArrayList<>();
        runningPids(c).forEach(pid -> workers.add(ProcessHandle.of(pid).orElseThrow()));
        Client client = cluster.client();
        var running = client.submit(new Job("1500"));
        TestCluster.await(() -> "1".equals(TestCluster.value(c.broker().status(), "in_flight")),
            Duration.ofSeconds(10), c.broker()::status);
        c.stop();
        assertTrue(new String(running.join()).startsWith("slept 1500"), "the running job finished");
        workers.forEach(w -> assertFalse(w.isAlive(), "worker " + w.pid() + " left behind"));
        assertFalse(Files.exists(cluster.dir().resolve("front.ipc")));
        assertTrue(c.workers().isEmpty());
    }
}
