package io.powerhose;

import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class HeartbeatTest {
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void stethoscopeHearsTheBeatAndReportsItLostWhenTheHeartbeatStops() throws Exception {
        AtomicInteger beats = new AtomicInteger();
        CountDownLatch lost = new CountDownLatch(1);
        Heartbeat heartbeat = new Heartbeat(cluster.heartbeat(), Duration.ofMillis(50));
        heartbeat.start();
        try (Stethoscope stethoscope = new Stethoscope(cluster.heartbeat(), Duration.ZERO, Duration.ofMillis(200), 2,
            () -> {
                lost.countDown();
                return true;
            }, beats::incrementAndGet)) {
            stethoscope.start();
            TestCluster.await(() -> beats.get() >= 5, Duration.ofSeconds(10), () -> "beats heard: " + beats.get());
            assertEquals(1, lost.getCount(), "not lost while beating");
            heartbeat.stop();
            long stoppedAt = System.nanoTime();
            assertTrue(lost.await(10, TimeUnit.SECONDS), "beat loss reported");
            long afterMs = (System.nanoTime() - stoppedAt) / 1_000_000;
            assertTrue(afterMs >= 300, "reported after " + afterMs + " ms, expected about 2 x 200 ms");
        } finally {
            heartbeat.stop();
        }
    }

    @Test
    void poolRunsJobsOverItsConnections() {
        cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(1);
        try (Pool pool = new Pool(3, ClientOptions.builder().frontend(cluster.frontend()).build())) {
            assertEquals(3, pool.size());
            for (int i = 0; i < 9; i++) {
                assertEquals("job-" + i, pool.execute("job-" + i));
            }
            assertEquals("async", new String(pool.submit(new Job("async")).join()));
            assertTrue(pool.ping(Duration.ofSeconds(1)).isPresent());
        }
    }
}
