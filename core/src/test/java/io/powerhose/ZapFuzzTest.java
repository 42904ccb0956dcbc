package io.powerhose;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.testing.EchoHandler;
import io.powerhose.testing.Keys;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.TcpBroker;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the broker's CURVE and ZAP path (issue 14) with a real broker process on tcp at 127.0.0.1: 10,000
 * connections to its frontend and backend, each with what a peer controls in the handshake and so in the ZAP
 * request chosen at random — a new key pair (unlisted), a random routing id (0 to 255 bytes), a wrong server key,
 * no CURVE at all, a ZMTP greeting announcing CURVE followed by random bytes, or plain random bytes. Between
 * batches an allowed client runs a job on an allowed worker; at the end the broker still serves, every refusal
 * was counted, and its resident memory grew by less than {@value #RSS_GROWTH_LIMIT_MB} MiB between the first
 * 2,000 connections and the last.
 */
@Tag("slow")
@Timeout(180)
class ZapFuzzTest {
    private static final int CONNECTIONS = 10_000;
    private static final int BATCH = 250;
    private static final long RSS_GROWTH_LIMIT_MB = 48;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void tenThousandConnectionsWithRandomKeysAndGarbageAreRefusedWhileAllowedPeersAreServed() throws Exception {
        Keys keys = new Keys(cluster.dir().resolve("keys"));
        for (String name : List.of("broker", "client", "worker")) {
            keys.create(name);
        }
        CurveCertificate brokerPair = CurveCertificate.loadSecret(keys.secretFile("broker"));
        CurveCertificate brokerPublic = CurveCertificate.load(keys.publicFile("broker"));
        Security probe = Security.client(brokerPair, brokerPair);
        TcpBroker broker = cluster.startTcpBrokerProcess(probe, "--curve-secret-key",
            keys.secretFile("broker").toString(), "--allow-clients", keys.allowList("clients", "client").toString(),
            "--allow-workers", keys.allowList("workers", "worker").toString());
        cluster.startJavaWorker(EchoHandler.class.getName(), "--backend", broker.backend(), "--heartbeat",
            broker.heartbeat(), "--curve-server-key", keys.publicFile("broker").toString(), "--curve-key",
            keys.secretFile("worker").toString());
        TestCluster.await(() -> "1".equals(TestCluster.value(Probe.status(broker.frontend(), WAIT, probe), "workers")),
            WAIT, () -> "the allowed worker did not register\n" + cluster.logs());

        SplittableRandom random = new SplittableRandom(14);
        long rssAfterWarmUpKb = 0;
        int denied = 0;
        ZMQ.Context context = ZMQ.context(1);
        List<ZMQ.Socket> sockets = new ArrayList<>();
        try (Client client = new Client(ClientOptions.builder().frontend(broker.frontend())
                .curveServerKey(keys.publicFile("broker")).curveKey(keys.secretFile("client")).build())) {
            for (int done = 0; done < CONNECTIONS; done += BATCH) {
                int deniedInBatch = 0;
                for (int i = 0; i < BATCH; i++) {
                    String endpoint = random.nextBoolean() ? broker.frontend() : broker.backend();
                    int kind = random.nextInt(100);
                    if (kind < 60) {
                        // a new, unlisted key pair and a random routing id: refused by the ZAP handler
                        sockets.add(connect(context, endpoint, Security.client(brokerPublic, null), random));
                        deniedInBatch++;
                    } else if (kind < 75) {
                        // a wrong server key: the broker cannot open the HELLO
                        sockets.add(connect(context, endpoint, Security.client(CurveCertificate.generate(), null),
                            random));
                    } else if (kind < 85) {
                        sockets.add(connect(context, endpoint, Security.NONE, random));
                    } else {
                        sendGarbage(endpoint, random, kind < 93);
                    }
                }
                denied += deniedInBatch;
                int expected = denied;
                TestCluster.await(() -> deniedCount(broker, probe) >= expected, WAIT,
                    () -> "the broker did not refuse " + expected + " unlisted keys: " + status(broker, probe));
                sockets.forEach(Sockets::close);
                sockets.clear();
                String data = "still serving after " + (done + BATCH);
                assertEquals(data, client.execute(data), "the allowed client and worker are served");
                if (done + BATCH == 2_000) {
                    rssAfterWarmUpKb = rssKb(broker.process().pid());
                }
            }
        } finally {
            sockets.forEach(Sockets::close); // also when an assertion failed: an open socket would hang the term
            context.term();
        }
        long rssEndKb = rssKb(broker.process().pid());
        String status = status(broker, probe);
        assertTrue(broker.process().isAlive(), "the broker is alive");
        assertEquals("1", TestCluster.value(status, "workers"), status);
        assertEquals(CONNECTIONS / BATCH, Long.parseLong(TestCluster.value(status, "jobs_ok")), status);
        assertTrue(Long.parseLong(TestCluster.value(status, "handshake_failures")) > CONNECTIONS / 10,
            "wrong server keys, NULL peers and garbage fail their handshake: " + status);
        assertEquals("0", TestCluster.value(status, "internal_errors"), status);
        long growthMb = (rssEndKb - rssAfterWarmUpKb) / 1024;
        assertTrue(growthMb < RSS_GROWTH_LIMIT_MB, "the broker's RSS grew by " + growthMb + " MiB (from "
            + rssAfterWarmUpKb / 1024 + " MiB after 2,000 connections to " + rssEndKb / 1024 + " MiB after "
            + CONNECTIONS + ")");
        System.out.printf("ZapFuzzTest: %d connections, %d refused by key, RSS %d MiB after 2,000 and %d MiB after "
            + "all%n", CONNECTIONS, denied, rssAfterWarmUpKb / 1024, rssEndKb / 1024);
    }

    private static ZMQ.Socket connect(ZMQ.Context context, String endpoint, Security security,
                                      SplittableRandom random) {
        ZMQ.Socket socket = security.apply(Sockets.create(context, ZMQ.DEALER, 0));
        int length = random.nextInt(256);
        if (length > 0) {
            byte[] id = new byte[length];
            random.nextBytes(id);
            id[0] = (byte) (1 + random.nextInt(255)); // a routing id may not start with 0 (libzmq reserves it)
            socket.setIdentity(id);
        }
        socket.connect(endpoint);
        return socket;
    }

    /** Random bytes, after a ZMTP 3.0 greeting announcing CURVE or straight away. */
    private static void sendGarbage(String endpoint, SplittableRandom random, boolean afterCurveGreeting) {
        URI uri = URI.create(endpoint);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
            OutputStream out = socket.getOutputStream();
            if (afterCurveGreeting) {
                byte[] greeting = new byte[64];
                greeting[0] = (byte) 0xff;
                greeting[9] = 0x7f;
                greeting[10] = 3;
                byte[] mechanism = "CURVE".getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(mechanism, 0, greeting, 12, mechanism.length);
                out.write(greeting);
            }
            byte[] garbage = new byte[random.nextInt(1, 400)];
            random.nextBytes(garbage);
            out.write(garbage);
            out.flush();
        } catch (IOException e) {
            // the broker may close first: that is its answer
        }
    }

    private static long deniedCount(TcpBroker broker, Security probe) {
        String status = status(broker, probe);
        return Long.parseLong(TestCluster.value(status, "auth_denied_clients"))
            + Long.parseLong(TestCluster.value(status, "auth_denied_workers"));
    }

    private static String status(TcpBroker broker, Security probe) {
        String status = Probe.status(broker.frontend(), WAIT, probe);
        assertTrue(status != null, "the broker answers STATUS");
        return status;
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }
}
