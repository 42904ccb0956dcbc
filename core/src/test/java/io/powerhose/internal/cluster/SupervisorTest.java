package io.powerhose.internal.cluster;

import io.powerhose.ClusterOptions;
import io.powerhose.WorkerInfo;
import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The supervisor's respawn rules, with real processes ({@code sleep}) and no broker. */
@Timeout(60)
class SupervisorTest {
    private static final List<String> WORKER = List.of("sleep", "600");
    private static final List<String> MISSING = List.of("/nonexistent/powerhose-worker");

    private final AtomicInteger failingStarts = new AtomicInteger();
    private Supervisor supervisor;

    private Supervisor start(int count) {
        ClusterOptions options = ClusterOptions.builderForCommand(WORKER).numProcesses(count)
            .respawnLimit(5, Duration.ofSeconds(5)).build();
        supervisor = new Supervisor(options,
            slot -> failingStarts.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? MISSING : WORKER, slot -> null,
            pid -> { });
        supervisor.start();
        supervisor.scale(count);
        return supervisor;
    }

    @AfterEach
    void stopAll() throws Exception {
        if (supervisor != null) {
            supervisor.stopAll(Duration.ofSeconds(2)).get(30, TimeUnit.SECONDS);
        }
    }

    private static long running(Supervisor supervisor) {
        return supervisor.workers().stream().filter(w -> w.state() == WorkerInfo.State.RUNNING).count();
    }

    /**
     * A start that fails schedules a retry; the supervisor's wait used to ignore it (it computed its wake-up
     * before the spawns of that pass), so the slot was retried once at most and then never, and was not FAILED
     * either. Shown failing on the old loop: the slot stayed RESPAWNING with one worker of two running.
     */
    @Test
    void failedStartsAreRetriedWithBackoffUntilTheWorkerStartsAgain() {
        start(2);
        TestCluster.await(() -> running(supervisor) == 2, Duration.ofSeconds(10), () -> supervisor.workers().toString());
        long victim = supervisor.workers().get(0).pid();
        failingStarts.set(3);
        ProcessHandle.of(victim).orElseThrow().destroyForcibly();
        TestCluster.await(() -> running(supervisor) == 2 && supervisor.workers().get(0).pid() != victim,
            Duration.ofSeconds(10), () -> "not replaced after 3 failed starts: " + supervisor.workers());
        assertEquals(0, failingStarts.get(), "the three failing starts were all tried");
        assertNotEquals(victim, supervisor.workers().get(0).pid());
        assertNull(supervisor.failure());
    }

    /** A worker that can never be started is FAILED after the documented 5 quick deaths, within seconds. */
    @Test
    void aWorkerThatCannotBeStartedIsFailedAfterTheQuickDeathLimit() {
        failingStarts.set(Integer.MAX_VALUE);
        long startNs = System.nanoTime();
        start(1);
        TestCluster.await(() -> supervisor.failure() != null, Duration.ofSeconds(10), () -> supervisor.workers().toString());
        long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        assertEquals(WorkerInfo.State.FAILED, supervisor.workers().get(0).state());
        org.junit.jupiter.api.Assertions.assertTrue(supervisor.failure().contains("could not be started")
            && supervisor.failure().contains("/nonexistent/powerhose-worker"), supervisor.failure());
        org.junit.jupiter.api.Assertions.assertTrue(elapsedMs < 5_000, "failed after " + elapsedMs + " ms");
    }
}
