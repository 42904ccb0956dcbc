package io.powerhose;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.cluster.WorkerMain;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.BrokerProcess;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two brokers (docs/PROTOCOL.md, "Several brokers"): two broker processes, four Java worker processes registered with
 * both (capacity 2 each), and one client given both frontends, 64 jobs in flight. Broker A is SIGKILLed under load.
 *
 * <p>Checked: every call ends exactly once, with its own correct result or {@link BrokerLostException} (at most once)
 * — or, for retryable jobs, with its result (sent once more to broker B); no call made after the client detected the
 * loss fails; no worker ever runs more than its capacity at once, counting the jobs of both brokers; once A is
 * restarted, the workers register with it again and the same client sends it jobs.
 */
@Tag("slow")
@Timeout(120)
class TwoBrokersTest {
    private static final int WORKERS = 4;
    private static final int CAPACITY = 2;
    private static final int IN_FLIGHT = 64;
    private static final String TARGET = "io.powerhose.testing.TestTargets::concurrency";
    private static final List<String> JVM = List.of("-ea", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Xmx256m");

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    /** One broker's three endpoints, ipc files in the test's temp dir. */
    private record Ends(String name, String frontend, String backend, String heartbeat) {
    }

    /** What happened to each call of a load. */
    private static final class Load {
        final int jobs;
        final AtomicIntegerArray completions;
        final AtomicReferenceArray<Object> outcomes;
        final long[] submitNs;
        final AtomicLong firstLostNs = new AtomicLong(Long.MAX_VALUE);
        final AtomicInteger done = new AtomicInteger();

        Load(int jobs) {
            this.jobs = jobs;
            this.completions = new AtomicIntegerArray(jobs);
            this.outcomes = new AtomicReferenceArray<>(jobs);
            this.submitNs = new long[jobs];
        }
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

        long[] killNs = new long[1];
        Load load = run(client, 20_000, 5_000, () -> {
            assertTrue(routed(a) > 0, "broker A routed no job before the kill");
            killNs[0] = System.nanoTime();
            brokerA.process().destroyForcibly(); // SIGKILL; the load goes on meanwhile
        });
        brokerA.waitFor(Duration.ofSeconds(10));

        int failed = check(load, false);
        long detectionMs = TimeUnit.NANOSECONDS.toMillis(load.firstLostNs.get() - killNs[0]);
        System.out.printf("two brokers, SIGKILL of A at 64 in flight: %d of %d calls failed (BrokerLost),"
            + " detected %d ms after the kill%n", failed, load.jobs, detectionMs);
        assertTrue(failed > 0 && failed <= IN_FLIGHT, "calls in flight on A fail, at most the 64 in flight: "
            + failed);
        assertTrue(detectionMs < 2_000, "the client detected the loss in " + detectionMs + " ms");
        assertTrue(routed(b) > 0, "broker B routed jobs");

        // Restart A: the workers register with it again, and the same client sends it jobs.
        startBroker(a);
        awaitWorkers(a, WORKERS);
        Load after = run(client, 2_000, -1, null);
        assertEquals(0, check(after, false), "every call after A's restart succeeds");
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

        Load load = run(client, 10_000, 3_000, () -> brokerA.process().destroyForcibly());
        brokerA.waitFor(Duration.ofSeconds(10));

        assertEquals(0, check(load, true), "no retryable call fails when one of two brokers is killed");
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
     * Sends {@code jobs} calls, {@link #IN_FLIGHT} at a time, and runs {@code action} once {@code actionAfter} have
     * ended; returns once every call has ended.
     */
    private static Load run(Client client, int jobs, int actionAfter, Runnable action) {
        Load load = new Load(jobs);
        Semaphore slots = new Semaphore(IN_FLIGHT);
        boolean acted = action == null;
        for (int i = 0; i < jobs; i++) {
            if (!acted && load.done.get() >= actionAfter) {
                action.run();
                acted = true;
            }
            acquire(slots, 1);
            int index = i;
            load.submitNs[i] = System.nanoTime();
            client.submit(new Job("job-" + i)).whenComplete((data, error) -> {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
                if (cause instanceof BrokerLostException) {
                    load.firstLostNs.accumulateAndGet(System.nanoTime(), Math::min);
                }
                load.outcomes.set(index, cause != null ? cause : new String(data, StandardCharsets.UTF_8));
                load.completions.incrementAndGet(index);
                load.done.incrementAndGet();
                slots.release();
            });
        }
        acquire(slots, IN_FLIGHT);
        assertTrue(acted, "the load ended before its action ran");
        return load;
    }

    /**
     * Checks a load's outcomes: every call ended once, with its own data and at most {@link #CAPACITY} jobs at once
     * in its worker, or (not retryable) with BrokerLost, never after the first BrokerLost was seen.
     *
     * @return how many calls failed
     */
    private static int check(Load load, boolean retryable) {
        int failed = 0;
        int mostAtOnce = 0;
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < load.jobs; i++) {
            assertEquals(1, load.completions.get(i), "call " + i + " ended " + load.completions.get(i) + " times");
            Object outcome = load.outcomes.get(i);
            if (outcome instanceof String text) {
                int colon = text.indexOf(':');
                int atOnce = Integer.parseInt(text.substring(0, colon));
                mostAtOnce = Math.max(mostAtOnce, atOnce);
                if (!text.substring(colon + 1).equals("job-" + i) || atOnce > CAPACITY) {
                    wrong.add("call " + i + " got " + text);
                }
            } else if (!retryable && outcome instanceof BrokerLostException) {
                failed++;
                if (load.submitNs[i] - load.firstLostNs.get() > 0) {
                    wrong.add("call " + i + " was made after the loss was detected, and failed: " + outcome);
                }
            } else {
                wrong.add("call " + i + " failed: " + outcome);
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " wrong outcome(s), the first: "
            + wrong.subList(0, Math.min(5, wrong.size())));
        assertEquals(CAPACITY, mostAtOnce, "the workers ran up to their capacity at once, never more");
        return failed;
    }

    private static void acquire(Semaphore slots, int permits) {
        try {
            assertTrue(slots.tryAcquire(permits, 30, TimeUnit.SECONDS), "calls did not end within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
