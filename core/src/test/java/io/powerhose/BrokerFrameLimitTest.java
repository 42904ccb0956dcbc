package io.powerhose;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ZMQ_MAXMSGSIZE} on every socket the broker exposes (issue 14): a peer that sends a frame larger than the
 * configured limit is disconnected by libzmq as soon as the frame's header arrives, so the broker never buffers it
 * (a 2 GiB frame costs it nothing), and the broker goes on serving. Each case sends a well-formed message that the
 * broker would otherwise read and count (a REQUEST it would refuse as too large, a REPLY from an unknown worker it
 * would drop): the counters staying at 0 show the frame never reached the broker's loop.
 */
@Timeout(60)
class BrokerFrameLimitTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void framesOverTheLimitsAreNeverReadAndTheirSendersAreDisconnected() {
        BrokerOptions options = cluster.brokerOptions().maxJobBytes(1000).maxReplyBytes(2000).build();
        Broker broker = cluster.startBroker(options);
        ZMQ.Context context = ZMQ.context(1);
        List<Monitor> monitors = new ArrayList<>();
        List<ZMQ.Socket> sockets = new ArrayList<>();
        try {
            // frontend: a REQUEST one byte over maxJobBytes + the frame allowance
            ZMQ.Socket client = open(context, ZMQ.DEALER, sockets);
            Monitor clientEvents = monitor(context, client, monitors);
            client.connect(options.frontend());
            Set<Integer> seen = new HashSet<>();
            awaitEvent(clientEvents, seen, Monitor.EVENT_CONNECTED, "the client connects");
            Sockets.send(client, null, FrontendCodec.request(ascii("big"), 5_000,
                new byte[Math.toIntExact(options.frontendMaxFrameBytes() + 1)]));
            awaitEvent(clientEvents, seen, Monitor.EVENT_DISCONNECTED, "the broker drops the client's connection");

            // backend: a REPLY one byte over maxReplyBytes + the frame allowance
            ZMQ.Socket worker = open(context, ZMQ.DEALER, sockets);
            Monitor workerEvents = monitor(context, worker, monitors);
            worker.connect(options.backend());
            Set<Integer> workerSeen = new HashSet<>();
            awaitEvent(workerEvents, workerSeen, Monitor.EVENT_CONNECTED, "the worker connects");
            Sockets.send(worker, null, BackendCodec.reply(ascii("job-1"), true,
                new byte[Math.toIntExact(options.backendMaxFrameBytes() + 1)]));
            awaitEvent(workerEvents, workerSeen, Monitor.EVENT_DISCONNECTED, "the broker drops the worker's connection");

            // heartbeat: a subscription of 2000 bytes (subscribers send nothing else)
            ZMQ.Socket beat = open(context, ZMQ.SUB, sockets);
            Monitor beatEvents = monitor(context, beat, monitors);
            beat.subscribe(new byte[2000]);
            beat.connect(options.heartbeat());
            awaitEvent(beatEvents, new HashSet<>(), Monitor.EVENT_DISCONNECTED, "the broker drops the subscriber");

            // The broker never saw any of it, and serves on: the client's socket reconnects and is answered.
            Sockets.send(client, null, FrontendCodec.ping(ascii("ping")));
            byte[][][] answer = new byte[1][][];
            TestCluster.await(() -> (answer[0] = Sockets.receive(client)).length > 0, WAIT,
                () -> "no PONG after the oversized REQUEST");
            assertTrue(FrontendCodec.decodeFromBroker(answer[0]) instanceof FrontendCodec.Pong pong
                && pong.brokerPid() == broker.pid(), "PONG");
            String status = Probe.status(options.frontend(), WAIT);
            for (String counter : new String[] {"jobs_received", "refusals", "frames_dropped", "workers"}) {
                assertEquals("0", TestCluster.value(status, counter), counter + " in\n" + status);
            }
        } finally {
            // Also when an assertion failed: a socket left open would hang the context's term.
            monitors.forEach(Monitor::close);
            sockets.forEach(Sockets::close);
            context.term();
        }
    }

    private static ZMQ.Socket open(ZMQ.Context context, int type, List<ZMQ.Socket> sockets) {
        ZMQ.Socket socket = Sockets.create(context, type, 0);
        sockets.add(socket);
        return socket;
    }

    private static Monitor monitor(ZMQ.Context context, ZMQ.Socket socket, List<Monitor> monitors) {
        Monitor monitor = new Monitor(context, socket);
        monitors.add(monitor);
        return monitor;
    }

    private static void awaitEvent(Monitor monitor, Set<Integer> seen, int event, String what) {
        TestCluster.await(() -> {
            for (int e = monitor.poll(); e != 0; e = monitor.poll()) {
                seen.add(e);
            }
            return seen.remove(event);
        }, WAIT, () -> what + ": events seen " + seen);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
