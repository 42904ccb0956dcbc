package io.powerhose.internal.broker;

import io.powerhose.ConfigurationException;
import io.powerhose.CurveCertificate;
import io.powerhose.internal.zmq.Curve;
import io.powerhose.internal.zmq.Security;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The broker's ZAP decisions and allow-lists, without sockets. */
class ZapTest {
    private static final byte[] EMPTY = new byte[0];

    @TempDir
    Path dir;

    private final CurveCertificate client = CurveCertificate.generate();
    private final CurveCertificate worker = CurveCertificate.generate();
    private final CurveCertificate stranger = CurveCertificate.generate();
    private final CurveCertificate broker = CurveCertificate.generate();

    private Zap.Lists lists() {
        return new Zap.Lists(AllowList.of(java.util.Set.of(client.publicKey()), dir.resolve("clients")),
            AllowList.of(java.util.Set.of(worker.publicKey()), dir.resolve("workers")), broker.publicKey());
    }

    private static byte[][] request(String domain, String mechanism, byte[]... credentials) {
        byte[][] head = {EMPTY, ascii("1.0"), ascii("req-7"), ascii(domain), ascii("10.0.0.5"), ascii("id"),
            ascii(mechanism)};
        byte[][] frames = java.util.Arrays.copyOf(head, head.length + credentials.length);
        System.arraycopy(credentials, 0, frames, head.length, credentials.length);
        return frames;
    }

    private static byte[][] curve(String domain, CurveCertificate key) {
        return request(domain, "CURVE", Curve.z85Decode(key.publicKey()));
    }

    @Test
    void eachSocketAdmitsOnlyTheKeysOfItsOwnList() {
        Zap.Lists lists = lists();
        assertEquals(Zap.Outcome.ALLOWED, Zap.decide(curve(Security.FRONTEND_DOMAIN, client), lists).outcome());
        assertEquals(Zap.Outcome.ALLOWED, Zap.decide(curve(Security.BACKEND_DOMAIN, worker), lists).outcome());
        assertEquals(Zap.Outcome.ALLOWED, Zap.decide(curve(Security.HEARTBEAT_DOMAIN, worker), lists).outcome());
        assertEquals(Zap.Outcome.ALLOWED, Zap.decide(curve(Security.FRONTEND_DOMAIN, broker), lists).outcome(),
            "the broker's own key, for --check");

        Zap.Decision clientAsWorker = Zap.decide(curve(Security.BACKEND_DOMAIN, client), lists);
        assertEquals(Zap.Outcome.DENIED_WORKER, clientAsWorker.outcome());
        assertTrue(clientAsWorker.reason().startsWith("a client's key ((given)), which may not register as a worker"),
            clientAsWorker.reason());
        assertEquals(Zap.Outcome.DENIED_WORKER, Zap.decide(curve(Security.HEARTBEAT_DOMAIN, client), lists).outcome());
        assertEquals(Zap.Outcome.DENIED_WORKER, Zap.decide(curve(Security.BACKEND_DOMAIN, broker), lists).outcome(),
            "the broker's key is a client's, not a worker's");
        Zap.Decision workerAsClient = Zap.decide(curve(Security.FRONTEND_DOMAIN, worker), lists);
        assertEquals(Zap.Outcome.DENIED_CLIENT, workerAsClient.outcome());
        assertTrue(workerAsClient.reason().startsWith("a worker's key"), workerAsClient.reason());
        Zap.Decision unknown = Zap.decide(curve(Security.FRONTEND_DOMAIN, stranger), lists);
        assertEquals(Zap.Outcome.DENIED_CLIENT, unknown.outcome());
        assertEquals(stranger.publicKey(), unknown.publicKey());
        assertEquals("10.0.0.5", unknown.address());
        assertEquals("not in --allow-clients " + dir.resolve("clients"), unknown.reason());

        Zap.Lists open = new Zap.Lists(AllowList.any(), AllowList.any(), broker.publicKey());
        assertEquals(Zap.Outcome.ALLOWED, Zap.decide(curve(Security.BACKEND_DOMAIN, stranger), open).outcome(),
            "no list: any CURVE key");
    }

    @Test
    void theReplyFollowsRfc27() {
        byte[][] allowed = Zap.decide(curve(Security.FRONTEND_DOMAIN, client), lists()).reply();
        assertEquals(List.of("", "1.0", "req-7", "200", "OK", client.publicKey(), ""), text(allowed));
        byte[][] denied = Zap.decide(curve(Security.FRONTEND_DOMAIN, stranger), lists()).reply();
        assertEquals(List.of("", "1.0", "req-7", "400", "key not allowed", "", ""), text(denied));
    }

    @Test
    void requestsThatAreNotWellFormedCurveRequestsAreRefused() {
        Zap.Lists lists = lists();
        List<byte[][]> malformed = List.of(
            request(Security.FRONTEND_DOMAIN, "NULL"),
            request(Security.FRONTEND_DOMAIN, "PLAIN", ascii("user"), ascii("password")),
            request(Security.FRONTEND_DOMAIN, "CURVE", new byte[31]),
            request(Security.FRONTEND_DOMAIN, "CURVE", new byte[32], new byte[32]),
            request("another-domain", "CURVE", Curve.z85Decode(client.publicKey())),
            new byte[][] {EMPTY, ascii("2.0"), ascii("req-7"), ascii(Security.FRONTEND_DOMAIN), EMPTY, EMPTY,
                ascii("CURVE"), Curve.z85Decode(client.publicKey())});
        for (byte[][] request : malformed) {
            Zap.Decision decision = Zap.decide(request, lists);
            assertEquals(Zap.Outcome.MALFORMED, decision.outcome());
            assertEquals("400", new String(decision.reply()[3], StandardCharsets.US_ASCII));
            assertArrayEquals(ascii("req-7"), decision.reply()[2], "answered with its request id");
        }
        assertNull(Zap.decide(new byte[][] {ascii("not empty"), ascii("1.0"), ascii("r")}, lists).reply());
        assertNull(Zap.decide(new byte[][] {EMPTY}, lists).reply());
        assertNull(Zap.decide(null, lists).reply());
    }

    @Test
    void randomFramesNeverBreakTheDecisionAndAreNeverAdmitted() {
        SplittableRandom random = new SplittableRandom(14);
        Zap.Lists lists = lists();
        byte[][] allowed = curve(Security.FRONTEND_DOMAIN, client);
        for (int i = 0; i < 100_000; i++) {
            byte[][] frames;
            if (random.nextBoolean()) {
                // a real request with one frame replaced, cut or grown
                frames = java.util.Arrays.copyOf(allowed, Math.max(0, allowed.length + random.nextInt(-3, 3)));
                int at = frames.length == 0 ? -1 : random.nextInt(frames.length);
                if (at >= 0) {
                    frames[at] = randomBytes(random, random.nextInt(0, 64));
                }
                for (int k = 0; k < frames.length; k++) {
                    if (frames[k] == null) {
                        frames[k] = randomBytes(random, random.nextInt(0, 40));
                    }
                }
            } else {
                frames = new byte[random.nextInt(0, 12)][];
                for (int k = 0; k < frames.length; k++) {
                    frames[k] = randomBytes(random, random.nextInt(0, 300));
                }
            }
            Zap.Decision decision = Zap.decide(frames, lists);
            assertNotNull(decision);
            if (decision.outcome() == Zap.Outcome.ALLOWED) {
                assertEquals(client.publicKey(), decision.publicKey(), "only the allowed key gets in");
            }
            if (decision.reply() != null) {
                assertEquals(7, decision.reply().length);
            }
            assertTrue(decision.domain().length() <= 123 && decision.address().length() <= 123, "bounded text");
        }
    }

    @Test
    void anAllowListReadsTheKeyFilesOfItsDirectory() throws Exception {
        Path clients = Files.createDirectories(dir.resolve("clients"));
        client.save(clients.resolve("a.key"));
        Files.delete(clients.resolve("a.key_secret"));
        worker.publicOnly().save(clients.resolve("b.key"));
        stranger.publicOnly().save(clients.resolve(".hidden.key"));
        Files.writeString(clients.resolve("notes.txt"), "not a key");
        broker.save(clients.resolve("broker.key"));

        AllowList list = AllowList.load(clients, true);
        assertEquals(java.util.Set.of(client.publicKey(), worker.publicKey(), broker.publicKey()), list.keys());
        assertFalse(list.allows(stranger.publicKey()), "hidden files are skipped");
        assertEquals(clients.resolve("a.key"), list.fileOf(client.publicKey()));
        assertEquals(1, list.problems().size(), "a secret key file found: " + list.problems());
        assertTrue(list.problems().get(0).contains("broker.key_secret: a secret key file in an allow-list"));

        Files.writeString(clients.resolve("broken.key"), "curve\n");
        ConfigurationException strict = assertThrows(ConfigurationException.class, () -> AllowList.load(clients, true));
        assertTrue(strict.getMessage().contains(clients.resolve("broken.key") + ": no public-key"), strict.getMessage());
        AllowList lenient = AllowList.load(clients, false);
        assertEquals(3, lenient.size(), "a reload skips the broken file and keeps the others");
        assertTrue(lenient.problems().stream().anyMatch(p -> p.contains("broken.key") && p.contains("skipped")));

        assertTrue(AllowList.load(null, true).allowsAny());
        assertThrows(ConfigurationException.class, () -> AllowList.load(dir.resolve("missing"), true));
    }

    private static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String> text(byte[][] frames) {
        return java.util.Arrays.stream(frames).map(f -> new String(f, StandardCharsets.US_ASCII)).toList();
    }
}
