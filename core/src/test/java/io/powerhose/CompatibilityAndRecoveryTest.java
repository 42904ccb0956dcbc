package io.powerhose;

import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Powerhose 0.x clients, bad peers, a second broker, and a broker restart, with real sockets and processes. */
@Timeout(120)
class CompatibilityAndRecoveryTest {
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    /** A raw ZeroMQ socket in the test, as a peer written in another language would use. */
    private static final class RawSocket implements AutoCloseable {
        final ZMQ.Context context = ZMQ.context(1);
        final ZMQ.Socket socket;

        RawSocket(int type, String endpoint) {
            NativeLibrary.load();
            socket = Sockets.create(context, type, 0);
            socket.setReceiveTimeOut(5_000);
            socket.connect(endpoint);
        }

        void send(String... frames) {
            byte[][] bytes = new byte[frames.length][];
            for (int i = 0; i < frames.length; i++) {
                bytes[i] = frames[i].getBytes(StandardCharsets.ISO_8859_1);
            }
            Sockets.send(socket, null, bytes);
        }

        String receive() {
            byte[] frame = socket.recv(0);
            if (frame == null) {
                throw new AssertionError("no answer within 5 s");
            }
            StringBuilder out = new StringBuilder(new String(frame, StandardCharsets.ISO_8859_1));
            while (socket.hasReceiveMore()) {
                out.append('|').append(new String(socket.recv(0), StandardCharsets.ISO_8859_1));
            }
            return out.toString();
        }

        @Override
        public void close() {
            socket.close();
            context.term();
        }
    }

    @Test
    void powerhose0xReqClientGetsPidOkResultAndPingGetsThePid() {
        Broker broker = cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(1);
        try (RawSocket req = new RawSocket(ZMQ.REQ, cluster.frontend())) {
            req.send("NONE:::hello");
            assertEquals(worker.pid() + ":OK:hello", req.receive());
            req.send("k:v:::with header");
            assertEquals(worker.pid() + ":OK:with header", req.receive());
            req.send("PING");
            assertEquals(Long.toString(broker.pid()), req.receive());
            req.send("no separator");
            String error = req.receive();
            assertTrue(error.startsWith(worker.pid() + ":ERROR:io.powerhose.ProtocolException"), error);
        }
    }

    @Test
    void powerhose0xReqClientGetsNoWorker() {
        Broker broker = cluster.startBroker(cluster.brokerOptions().noWorkerGrace(Duration.ofMillis(100)).build());
        try (RawSocket req = new RawSocket(ZMQ.REQ, cluster.frontend())) {
            req.send("NONE:::x");
            assertEquals(broker.pid() + ":ERROR:No worker", req.receive());
        }
    }

    @Test
    void malformedMessagesAreAnsweredOrDroppedAndTheBrokerCarriesOn() {
        Broker broker = cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(1);
        try (RawSocket dealer = new RawSocket(ZMQ.DEALER, cluster.frontend());
             RawSocket fakeWorker = new RawSocket(ZMQ.DEALER, cluster.backend())) {
            dealer.send("PHC1", "\u0063", "id-1");
            assertEquals("PHC1|\u0003|id-1|INVALID|" + broker.pid() + "|command: unknown command 0x63", dealer.receive());
            dealer.send("PHC1", "\u0002", "id-2", "not a number", "NONE:::x");
            String invalid = dealer.receive();
            assertTrue(invalid.startsWith("PHC1|\u0003|id-2|INVALID|"), invalid);
            dealer.send("garbage", "frames", "here");
            assertEquals("PHC1|\u0003||INVALID|" + broker.pid() + "|message: neither v1 (first frame PHC1) nor 0.x "
                + "([\"\"][payload]): first frame \"garbage\", 3 frames", dealer.receive(),
                "answered too: INVALID with an empty request id");
            dealer.send("PHC1", "\u0002", "id-3", "5000", "NONE:::still works");
            String ok = dealer.receive();
            assertTrue(ok.startsWith("PHC1|\u0003|id-3|OK|") && ok.endsWith("|still works"), ok);
            fakeWorker.send("PHW1", "\u0001", "not-a-pid", "1");
            fakeWorker.send("junk");
            fakeWorker.send("PHW1", "\u0003", "12345678", "OK", "a reply for no job");
            assertEquals("PHW1|\u0005|READY refused: READY pid: expected ASCII digits, got \"not-a-pid\"",
                fakeWorker.receive(), "a READY that cannot be accepted is refused, saying why");
            assertEquals("PHW1|\u0005", fakeWorker.receive(), "an unknown worker is told to register (the junk "
                + "in between got no second refusal within the heartbeat interval)");
        }
        Client client = cluster.client();
        assertEquals("after", client.execute("after"));
        String status = client.status(Duration.ofSeconds(1)).orElseThrow();
        assertEquals("5", TestCluster.value(status, "frames_dropped"), "3 from the client, 2 from the fake worker");
        assertEquals("1", TestCluster.value(status, "late_replies"), "the reply for no job");
    }

    /**
     * A signal the process handles (a profiler's SIGPROF, a debugger's, here SIGPIPE, which the JVM ignores in
     * a handler) makes the libzmq call of the thread it lands on fail with EINTR. Aimed at each thread that owns
     * sockets with {@code tgkill} (a {@code kill} of a thread id reaches the whole process, and any of its threads may
     * take it), while jobs flow: before EINTR was retried, the first one killed the broker's thread.
     */
    @Test
    void signalsThatInterruptLibzmqCallsStopNoBrokerWorkerOrClientThread() throws Exception {
        ManagedProcess broker = cluster.startBrokerProcess();
        ManagedProcess worker = cluster.startJavaWorker("io.powerhose.testing.EchoHandler");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        assertEquals("warm", client.execute("warm"));
        List<Long> targets = new ArrayList<>();
        targets.addAll(threadIds(broker.pid(), "powerhose-broke"));
        targets.addAll(threadIds(worker.pid(), "powerhose-worke"));
        targets.addAll(threadIds(ProcessHandle.current().pid(), "powerhose-clien"));
        assertEquals(3, targets.size(), "the socket threads: " + targets);
        List<Long> processes = List.of(broker.pid(), worker.pid(), ProcessHandle.current().pid());
        int signals = 0;
        for (int round = 0; round < 50; round++) {
            List<CompletableFuture<byte[]>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(client.submit(new Job("job " + round + "-" + i)));
            }
            for (int k = 0; k < targets.size(); k++) {
                tgkill(processes.get(k), targets.get(k), SIGPIPE);
                signals++;
            }
            for (int i = 0; i < calls.size(); i++) {
                assertEquals("job " + round + "-" + i, new String(calls.get(i).get(10, TimeUnit.SECONDS),
                    StandardCharsets.UTF_8));
            }
        }
        assertEquals(150, signals);
        assertTrue(broker.isAlive() && worker.isAlive(), "broker and worker still run");
        assertEquals("after", client.execute("after"));
        assertEquals(3, targets.stream().filter(tid -> Files.exists(Path.of("/proc/" + tid))).count(),
            "every socket thread is still alive");
    }

    private static final int SIGPIPE = 13;

    /** Sends a signal to one thread of a process (glibc's tgkill, through Debian's Python and ctypes). */
    private static void tgkill(long pid, long tid, int signal) throws Exception {
        Process tgkill = new ProcessBuilder("/usr/bin/python3", "-c", "import ctypes, sys; "
            + "sys.exit(ctypes.CDLL(None, use_errno=True).tgkill(" + pid + ", " + tid + ", " + signal + "))")
            .redirectErrorStream(true).start();
        assertEquals(0, tgkill.waitFor(), "tgkill(" + pid + ", " + tid + "): the thread has ended? "
            + new String(tgkill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static List<Long> threadIds(long pid, String name) throws IOException {
        List<Long> ids = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                if (Files.readString(task.resolve("comm")).strip().equals(name)) {
                    ids.add(Long.parseLong(task.getFileName().toString()));
                }
            }
        }
        return ids;
    }

    @Test
    void secondBrokerOnTheSameFrontendRefusesToStart() {
        Broker first = cluster.startBroker();
        DuplicateBrokerException e = assertThrows(DuplicateBrokerException.class, () -> cluster.startBroker(
            cluster.brokerOptions().backend("ipc://" + cluster.dir().resolve("other-back.ipc"))
                .heartbeat("ipc://" + cluster.dir().resolve("other-beat.ipc")).build()));
        assertEquals(first.pid(), e.livePid());
        assertEquals(first.pid(), cluster.client().ping(Duration.ofSeconds(1)).getAsLong(), "the first one still serves");
    }

    @Test
    void staleIpcFileOfAKilledBrokerDoesNotBlockANewOne() {
        ManagedProcess killed = cluster.startBrokerProcess();
        killed.kill();
        assertTrue(cluster.dir().resolve("front.ipc").toFile().exists(), "a SIGKILL leaves the ipc file behind");
        Broker broker = cluster.startBroker();
        assertEquals(broker.pid(), cluster.client().ping(Duration.ofSeconds(2)).getAsLong());
    }

    @Test
    void brokerStopRemovesItsIpcFiles() {
        Broker broker = cluster.startBroker();
        assertTrue(cluster.dir().resolve("front.ipc").toFile().exists());
        broker.close();
        assertTrue(!cluster.dir().resolve("front.ipc").toFile().exists()
            && !cluster.dir().resolve("back.ipc").toFile().exists()
            && !cluster.dir().resolve("beat.ipc").toFile().exists());
    }

    @Test
    void brokerKilledAndRestartedServesTheSameWorkersAndClientAgain() throws Exception {
        ManagedProcess broker = cluster.startBrokerProcess();
        ManagedProcess worker1 = cluster.startJavaWorker("io.powerhose.testing.TestTargets::sleep");
        ManagedProcess worker2 = cluster.startJavaWorker("io.powerhose.testing.TestTargets::sleep");
        cluster.awaitWorkers(2);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(10))
            .timeoutMaxOverflow(Duration.ofSeconds(15)));
        client.execute("1");
        CompletableFuture<byte[]> inFlight = client.submit(new Job("4000"));
        TestCluster.await(() -> "1".equals(TestCluster.value(client.status(Duration.ofSeconds(1)).orElse("in_flight=0"),
            "in_flight")), Duration.ofSeconds(5), () -> "the long job never started");

        broker.kill();
        ExecutionException lost = assertThrows(ExecutionException.class, () -> inFlight.get());
        assertInstanceOf(BrokerLostException.class, lost.getCause(), "a call in flight fails clearly, no hang");

        ManagedProcess restarted = cluster.startBrokerProcess();
        long restartedAt = System.nanoTime();
        cluster.awaitWorkers(2);
        long registeredMs = (System.nanoTime() - restartedAt) / 1_000_000;
        assertTrue(registeredMs < 3_000, "workers registered again after " + registeredMs + " ms");
        assertTrue(worker1.isAlive() && worker2.isAlive(), "the same worker processes");
        for (int i = 0; i < 10; i++) {
            String result = client.execute("1");
            assertTrue(result.equals("slept 1 in " + worker1.pid()) || result.equals("slept 1 in " + worker2.pid()),
                result);
        }
        assertEquals(restarted.pid(), client.ping(Duration.ofSeconds(1)).getAsLong(), "the same client, new broker");
    }
}
