package io.powerhose;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.testing.RawPeer;
import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/PROTOCOL.md is the contract: peers written from it alone (raw sockets here) get the answers it promises,
 * its STATUS table lists exactly the keys the broker sends, and its byte-by-byte exchange is a real one.
 */
@Timeout(60)
class ProtocolContractTest {
    /** Surefire runs in core/. */
    static final Path PROTOCOL_MD = Path.of("..", "docs", "PROTOCOL.md").toAbsolutePath().normalize();
    private static final String TARGETS = "io.powerhose.testing.TestTargets::";

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Issue 10, item 16: the limits table promised INVALID for a request id of 0 or 256 bytes; none came. */
    @Test
    void requestIdsOfZeroAnd256BytesAreAnsweredInvalidWithTheIdAsSent() {
        Broker broker = cluster.startBroker();
        byte[] longId = new byte[256];
        Arrays.fill(longId, (byte) 'i');
        try (RawPeer client = new RawPeer(ZMQ.DEALER, cluster.frontend())) {
            client.send(FrontendCodec.request(new byte[0], 1000, b("NONE:::x")));
            assertEquals("PHC1|\u0003||INVALID|" + broker.pid() + "|request id: must be 1 to 255 bytes, got 0",
                client.receive());
            client.send(FrontendCodec.request(longId, 1000, b("NONE:::x")));
            byte[][] answer = client.receiveFrames();
            assertArrayEquals(longId, answer[2]);
            assertEquals("INVALID", new String(answer[3], StandardCharsets.US_ASCII));
            client.send(b("PHC1"), new byte[] {(byte) 0x63});
            assertEquals("PHC1|\u0003||INVALID|" + broker.pid() + "|message: expected at least 3 frames, got 2",
                client.receive(), "no request id at all: an empty one");
        }
    }

    /**
     * Issue 10, item 16: a READY the broker cannot accept got no answer, so the worker re-sent it every second for
     * ever; now it is refused with a reason. A READY over the broker's limits is accepted, clamped.
     */
    @Test
    void readyThatCannotBeAcceptedIsRefusedWithAReasonAndOneOverTheLimitsIsClamped() {
        cluster.startBroker();
        try (RawPeer worker = new RawPeer(ZMQ.DEALER, cluster.backend())) {
            worker.send("PHW1", "\u0001", "4242", "0");
            assertEquals("PHW1|\u0005|READY refused: READY capacity: must be 1 or more, got 0", worker.receive());
            worker.send("PHW1", "\u0001", "4242", "2", "py", "2000");
            cluster.awaitWorkers(1);
            String status = Probe.status(cluster.frontend(), Duration.ofSeconds(1));
            assertTrue(status.contains("\nworker.4242=label:py,capacity:2,prefetch:1024,"), status);
            assertEquals("1", TestCluster.value(status, "workers_clamped"), status);
        }
    }

    /**
     * Issue 10, item 13: a fake worker claiming capacity 65536 that never answers took every job; the broker now
     * believes at most maxWorkerCapacity (here 4), so a real worker runs the rest.
     */
    @Test
    void workerClaimingAHugeCapacityTakesNoMoreJobsThanTheBrokersLimit() throws Exception {
        cluster.startBroker(cluster.brokerOptions().maxWorkerCapacity(4).build());
        try (RawPeer greedy = new RawPeer(ZMQ.DEALER, cluster.backend())) {
            greedy.send("PHW1", "\u0001", "4242", "65536");
            cluster.startJavaWorker(TARGETS + "echo");
            cluster.awaitWorkers(2);
            String status = Probe.status(cluster.frontend(), Duration.ofSeconds(1));
            assertTrue(status.contains("\nworker.4242=label:-,capacity:4,"), status);
            Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(2))
                .timeoutMaxOverflow(Duration.ofSeconds(3)));
            List<CompletableFuture<byte[]>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(client.submit(new Job("job " + i)));
            }
            int ok = 0;
            for (int i = 0; i < calls.size(); i++) {
                try {
                    assertEquals("job " + i, new String(calls.get(i).get(10, TimeUnit.SECONDS),
                        StandardCharsets.UTF_8));
                    ok++;
                } catch (ExecutionException e) {
                    // held by the greedy worker, which never answers
                }
            }
            assertEquals(16, ok, "4 jobs held by the greedy worker, 16 run by the real one");
        }
    }

    /** Issue 10, item 16: the STATUS keys were not listed; PROTOCOL.md's table must list exactly those sent. */
    @Test
    void statusTableOfProtocolMdListsExactlyTheKeysTheBrokerSends() throws Exception {
        cluster.startBroker();
        try (RawPeer worker = new RawPeer(ZMQ.DEALER, cluster.backend())) {
            worker.send("PHW1", "\u0001", "4242", "1");
            cluster.awaitWorkers(1);
            String status = Probe.status(cluster.frontend(), Duration.ofSeconds(1));
            Set<String> sent = new LinkedHashSet<>();
            for (String line : status.split("\n")) {
                sent.add(line.substring(0, line.indexOf('=')).replace("4242", "<pid>"));
            }
            assertEquals(List.copyOf(documentedStatusKeys()), List.copyOf(sent), "in the same order:\n" + status);
        }
    }

    private static Set<String> documentedStatusKeys() throws Exception {
        List<String> lines = Files.readAllLines(PROTOCOL_MD);
        int start = lines.indexOf("## STATUS");
        assertTrue(start >= 0, "PROTOCOL.md has a STATUS section");
        Set<String> keys = new LinkedHashSet<>();
        for (String line : lines.subList(start, lines.size())) {
            if (line.startsWith("## ") && !keys.isEmpty()) {
                break;
            }
            if (line.startsWith("| `")) {
                keys.add(line.substring(3, line.indexOf('`', 3)));
            }
        }
        return keys;
    }

    /**
     * Issue 10, item 16: PROTOCOL.md shows one real exchange byte by byte. It is checked against a real one here: a
     * worker and a client written from the document (raw DEALERs), a real broker. In the document, {@code x} stands
     * for a byte or character that varies (the broker's job id, the budget).
     */
    @Test
    void byteByByteExchangeOfProtocolMdIsARealOne() throws Exception {
        cluster.startBroker();
        StringBuilder real = new StringBuilder();
        try (RawPeer worker = new RawPeer(ZMQ.DEALER, cluster.backend());
             RawPeer client = new RawPeer(ZMQ.DEALER, cluster.frontend())) {
            byte[][] ready = BackendCodec.ready(4242, 1, "py", 0);
            worker.send(ready);
            real.append(render("worker → broker: READY", ready));
            cluster.awaitWorkers(1);
            byte[][] request = FrontendCodec.request(new byte[] {0, 0, 0, 0, 0, 0, 0, 1}, 5000, b("NONE:::hello"));
            client.send(request);
            real.append(render("client → broker: REQUEST", request));
            byte[][] job = worker.receiveFrames();
            real.append(render("broker → worker: REQUEST", job));
            byte[][] reply = BackendCodec.reply(job[2], true, b("HELLO"));
            worker.send(reply);
            real.append(render("worker → broker: REPLY", reply));
            real.append(render("broker → client: REPLY", client.receiveFrames()));
        }
        String documented = documentedExchange();
        assertTrue(matches(documented, real.toString()), "PROTOCOL.md:\n" + documented + "\nreal:\n" + real);
    }

    /** One message as PROTOCOL.md shows it: a title line, then per frame its index, hex bytes and ASCII. */
    static String render(String title, byte[][] frames) {
        StringBuilder out = new StringBuilder(title).append(" (").append(frames.length).append(" frames)\n");
        for (int f = 0; f < frames.length; f++) {
            StringBuilder hex = new StringBuilder();
            StringBuilder ascii = new StringBuilder();
            for (byte b : frames[f]) {
                hex.append(String.format("%02x ", b & 0xff));
                ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
            }
            out.append(String.format("  [%d] %-39s %s%n", f, hex.toString().trim(), ascii)
                .replaceAll(" +\n$", "\n"));
        }
        return out.toString();
    }

    private static String documentedExchange() throws Exception {
        String text = Files.readString(PROTOCOL_MD);
        int section = text.indexOf("## One exchange, byte by byte");
        assertTrue(section >= 0, "PROTOCOL.md has the exchange");
        int start = text.indexOf("```\n", section) + 4;
        return text.substring(start, text.indexOf("```", start));
    }

    /** Equal, where an {@code x} in the documented text matches any character. */
    private static boolean matches(String documented, String real) {
        if (documented.length() != real.length()) {
            return false;
        }
        for (int i = 0; i < documented.length(); i++) {
            if (documented.charAt(i) != 'x' && documented.charAt(i) != real.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
