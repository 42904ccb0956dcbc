package io.powerhose;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.testing.RawPeer;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, "Fuzz": over 100,000 random multipart messages into a broker process, from REQ and DEALER clients and
 * from fake workers (absurd capacities, replies for unknown jobs, malformed replies to real jobs, heartbeat
 * floods, peers that never read). The broker stays up, answers every REQ, keeps its log short (item 12), stays
 * under a stated memory bound, and then runs a real job correctly.
 */
@Tag("slow")
@Timeout(180)
class BrokerFuzzTest {
    /** The broker's resident memory must stay under this (a JVM with -Xmx128m; measured 160-170 MiB). */
    static final long RSS_BOUND_BYTES = 256L << 20;
    /** Log lines the broker may write for the whole run (before: about one per malformed message). */
    static final int LOG_LINE_BOUND = 400;
    private static final int REQ_SOCKETS = 8;
    private static final int REQ_ROUNDS = 300;
    private static final int FRONTEND_MESSAGES = 50_000;
    private static final int BACKEND_MESSAGES = 50_000;
    private static final byte[] PHC1 = FrontendCodec.VERSION;
    private static final byte[] PHW1 = BackendCodec.VERSION;

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void hundredThousandRandomMessagesLeaveTheBrokerUpBoundedQuietAndCorrect() throws Exception {
        long seed = System.nanoTime();
        Path log = cluster.dir().resolve("broker.log");
        ManagedProcess broker = cluster.startBrokerCommand(List.of("-XX:+UseSerialGC", "-Xmx128m"),
            "--logfile", log.toString(), "--no-worker-grace", "0");
        AtomicLong maxRss = new AtomicLong();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            try {
                while (sampling.get() && broker.isAlive()) {
                    maxRss.accumulateAndGet(RawPeer.residentBytes(broker.pid()), Math::max);
                    sleep(50);
                }
            } catch (RuntimeException e) {
                // the broker ended: the assertions below say so
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
        int sent = reqPeers(new Random(seed));
        CompletableFuture<Integer> backend = CompletableFuture.supplyAsync(() -> fakeWorkers(new Random(seed + 1)));
        sent += dealerClients(new Random(seed + 2));
        sent += backend.get(120, TimeUnit.SECONDS);
        assertTrue(sent >= 100_000, sent + " messages");
        assertTrue(broker.isAlive(), "seed " + seed + "\n" + broker.log());

        ManagedProcess worker = cluster.startJavaWorker("io.powerhose.examples.Echo");
        TestCluster.await(() -> {
            String status = Probe.status(cluster.frontend(), Duration.ofSeconds(1));
            return status != null && TestCluster.value(status, "workers").equals("1")
                && status.contains("\nworker." + worker.pid() + "=label:java@");
        }, Duration.ofSeconds(30), () -> "the fake workers are not all gone, or the real one did not register:\n"
            + Probe.status(cluster.frontend(), Duration.ofSeconds(1)));
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(20))
            .timeoutMaxOverflow(Duration.ofSeconds(25)));
        JobResult result = client.executeForResult(new Job("a real job after the fuzz"), Duration.ofSeconds(20));
        assertEquals("a real job after the fuzz", result.dataAsString(), "seed " + seed);
        String status = Probe.status(cluster.frontend(), Duration.ofSeconds(2));
        for (String counter : List.of("frames_dropped", "refusals", "workers_clamped", "late_replies")) {
            assertTrue(Long.parseLong(TestCluster.value(status, counter)) > 0, counter + " counted:\n" + status);
        }
        long rss = RawPeer.residentBytes(broker.pid());
        sampling.set(false);
        sampler.join();
        long lines;
        try (var stream = Files.lines(log)) {
            lines = stream.count();
        }
        String figures = sent + " messages (seed " + seed + "): broker RSS max " + (maxRss.get() >> 20) + " MiB, at the "
            + "end " + (rss >> 20) + " MiB; " + lines + " log lines";
        System.out.println(figures);
        assertTrue(Math.max(rss, maxRss.get()) < RSS_BOUND_BYTES, figures);
        assertTrue(lines < LOG_LINE_BOUND, figures + "\n" + tail(log));
    }

    /** REQ clients: every message, even a malformed one, gets an answer, or the REQ socket would hang. */
    private int reqPeers(Random random) {
        List<RawPeer> peers = new ArrayList<>();
        try {
            for (int i = 0; i < REQ_SOCKETS; i++) {
                peers.add(cluster.closeAfter(new RawPeer(ZMQ.REQ, cluster.frontend())));
            }
            int sent = 0;
            for (int round = 0; round < REQ_ROUNDS; round++) {
                for (RawPeer peer : peers) {
                    byte[][] frames = new byte[1 + (random.nextInt(4) == 0 ? random.nextInt(3) : 0)][];
                    for (int f = 0; f < frames.length; f++) {
                        frames[f] = random.nextInt(6) == 0 ? b("PING") : randomBytes(random, 30);
                    }
                    peer.send(frames);
                    sent++;
                }
                for (RawPeer peer : peers) {
                    String answer = peer.receive();
                    assertTrue(answer.matches("\\d+(:(OK|ERROR):.*)?") || answer.startsWith("PHC1"), answer);
                }
            }
            return sent;
        } finally {
            peers.forEach(RawPeer::close);
        }
    }

    /** DEALER clients: half read their answers, half never do (a receive HWM of 1). */
    private int dealerClients(Random random) {
        List<RawPeer> peers = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                peers.add(new RawPeer(ZMQ.DEALER, cluster.frontend(), i % 2 == 0 ? 0 : 1));
            }
            for (int i = 0; i < FRONTEND_MESSAGES; i++) {
                RawPeer peer = peers.get(random.nextInt(peers.size()));
                peer.send(frontendMessage(random));
                if (i % 100 == 0) {
                    for (int p = 0; p < peers.size(); p += 2) {
                        while (Sockets.receive(peers.get(p).socket()).length > 0) {
                            // read and forget
                        }
                    }
                }
            }
            return FRONTEND_MESSAGES;
        } finally {
            peers.forEach(RawPeer::close);
        }
    }

    private static byte[][] frontendMessage(Random random) {
        byte[] id = randomBytes(random, random.nextInt(10) == 0 ? 300 : 12);
        return switch (random.nextInt(9)) {
            case 0 -> randomFrames(random);
            case 1 -> FrontendCodec.request(nonEmpty(id), random.nextInt(3_000), random.nextBoolean()
                ? b("NONE:::" + random.nextInt()) : randomBytes(random, 60));
            case 2 -> new byte[][] {PHC1, {(byte) random.nextInt(256)}, id, b("100"), b("NONE:::x")};
            case 3 -> new byte[][] {PHC1, {2}, id, random.nextBoolean() ? b("1234567890123456789") : b("-5"), b("x")};
            case 4 -> random.nextInt(20) == 0 ? FrontendCodec.status(nonEmpty(id)) : FrontendCodec.ping(nonEmpty(id));
            case 5 -> random.nextBoolean() ? new byte[][] {{}, randomBytes(random, 40)}
                : new byte[][] {randomBytes(random, 5), {}, b("PING")};
            case 6 -> random.nextBoolean() ? new byte[][] {PHC1} : new byte[][] {PHC1, {2}};
            case 7 -> mutate(random, FrontendCodec.request(nonEmpty(id), 500, b("k:v:::data")));
            default -> new byte[][] {PHC1, {2}, id, b("10"), b("NONE:::x"), b("extra frame")};
        };
    }

    /** Fake workers: half read what the broker sends and answer some of it (well or badly), half never read. */
    private int fakeWorkers(Random random) {
        List<RawPeer> workers = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                workers.add(new RawPeer(ZMQ.DEALER, cluster.backend(), i % 2 == 0 ? 0 : 1));
            }
            int sent = 0;
            while (sent < BACKEND_MESSAGES) {
                int index = random.nextInt(workers.size());
                RawPeer worker = workers.get(index);
                if (index % 2 == 0) {
                    sent += answerSomeRequests(random, worker);
                }
                if (random.nextInt(50) == 0) {
                    for (int i = 0; i < 200; i++) {
                        worker.send(PHW1, new byte[] {4});
                    }
                    sent += 200;
                } else {
                    worker.send(backendMessage(random));
                    sent++;
                }
            }
            return sent;
        } finally {
            workers.forEach(RawPeer::close);
        }
    }

    private static int answerSomeRequests(Random random, RawPeer worker) {
        int sent = 0;
        for (byte[][] frames = Sockets.receive(worker.socket()); frames.length > 0;
             frames = Sockets.receive(worker.socket())) {
            if (frames.length == 5 && frames[1].length == 1 && frames[1][0] == 2 && random.nextBoolean()) {
                byte[] status = random.nextInt(4) == 0 ? b("MAYBE") : b(random.nextBoolean() ? "OK" : "ERROR");
                worker.send(PHW1, new byte[] {3}, frames[2], status, frames[4]);
                sent++;
            }
        }
        return sent;
    }

    private static byte[][] backendMessage(Random random) {
        return switch (random.nextInt(7)) {
            case 0 -> ready(random);
            case 1 -> new byte[][] {PHW1, {3}, randomBytes(random, 8), b(random.nextBoolean() ? "OK" : "ERROR"),
                randomBytes(random, 50)};
            case 2 -> new byte[][] {PHW1, {5}};
            case 3 -> randomFrames(random);
            case 4 -> new byte[][] {PHW1, {(byte) random.nextInt(256)}, randomBytes(random, 10)};
            case 5 -> mutate(random, ready(random));
            default -> new byte[][] {PHW1, {4}};
        };
    }

    private static byte[][] ready(Random random) {
        String[] numbers = {"0", "1", "4", "65536", "100000000000000000", "999999999999999999", "abc", "", "-1"};
        byte[][] frames = new byte[4 + random.nextInt(3)][];
        frames[0] = PHW1;
        frames[1] = new byte[] {1};
        frames[2] = b(Integer.toString(random.nextInt(1_000_000)));
        frames[3] = b(numbers[random.nextInt(numbers.length)]);
        if (frames.length > 4) {
            frames[4] = randomBytes(random, random.nextInt(10) == 0 ? 500 : 10);
        }
        if (frames.length > 5) {
            frames[5] = b(numbers[random.nextInt(numbers.length)]);
        }
        return frames;
    }

    private static byte[][] mutate(Random random, byte[][] frames) {
        byte[][] copy = frames.clone();
        int f = random.nextInt(copy.length);
        copy[f] = copy[f].clone();
        if (copy[f].length > 0) {
            copy[f][random.nextInt(copy[f].length)] = (byte) random.nextInt(256);
        }
        return copy;
    }

    private static byte[][] randomFrames(Random random) {
        byte[][] frames = new byte[1 + random.nextInt(6)][];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = randomBytes(random, 40);
        }
        return frames;
    }

    private static byte[] randomBytes(Random random, int max) {
        byte[] out = new byte[random.nextInt(max + 1)];
        random.nextBytes(out);
        return out;
    }

    private static byte[] nonEmpty(byte[] id) {
        return id.length == 0 ? b("x") : id;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
