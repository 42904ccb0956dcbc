package io.powerhose;

import io.powerhose.internal.beat.Heartbeat;
import io.powerhose.internal.beat.Stethoscope;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyStatus;
import io.powerhose.testing.RawPeer;
import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
            JobResult result = pool.executeForResult(new Job("detailed"), Duration.ofSeconds(5));
            assertEquals("detailed", result.dataAsString());
            assertTrue(result.workerPid() > 0, "the worker's pid: " + result.workerPid());
            assertEquals("later", pool.submitForResult(new Job("later"), Duration.ofSeconds(5)).join()
                .dataAsString());
            assertTrue(pool.ping(Duration.ofSeconds(1)).isPresent());
            assertTrue(pool.status(Duration.ofSeconds(1)).orElseThrow().contains("jobs_ok=12"),
                () -> pool.status(Duration.ofSeconds(1)).orElse("no status"));
            assertEquals(0, pool.pendingCalls());
        }
    }

    /** A fake broker (a bare ROUTER) sees which connection each job came on: every one of the pool's, in turn. */
    @Test
    void poolSpreadsItsCallsOverEveryConnection() {
        String frontend = "ipc://" + cluster.dir().resolve("fake-front.ipc");
        try (RawPeer broker = RawPeer.bound(ZMQ.ROUTER, frontend);
             Pool pool = new Pool(3, ClientOptions.builder().frontend(frontend).build())) {
            List<CompletableFuture<byte[]>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(pool.submit(new Job("job-" + i)));
            }
            Map<String, Integer> jobsByConnection = new HashMap<>();
            for (int i = 0; i < 6; i++) {
                byte[][] frames = broker.receiveFrames();
                FrontendCodec.Request request = (FrontendCodec.Request) FrontendCodec.decodeFromClient(
                    Arrays.copyOfRange(frames, 1, frames.length));
                jobsByConnection.merge(HexFormat.of().formatHex(frames[0]), 1, Integer::sum);
                byte[][] reply = FrontendCodec.reply(request.requestId(), ReplyStatus.OK, 1,
                    ("answered " + i).getBytes(StandardCharsets.UTF_8));
                byte[][] routed = new byte[reply.length + 1][];
                routed[0] = frames[0];
                System.arraycopy(reply, 0, routed, 1, reply.length);
                broker.send(routed);
            }
            for (CompletableFuture<byte[]> call : calls) {
                assertTrue(new String(call.join(), StandardCharsets.UTF_8).startsWith("answered "));
            }
            assertEquals(List.of(2, 2, 2), List.copyOf(jobsByConnection.values()),
                "six calls over three connections, two each: " + jobsByConnection);
        }
    }
}
