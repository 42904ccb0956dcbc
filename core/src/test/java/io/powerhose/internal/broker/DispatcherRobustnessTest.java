package io.powerhose.internal.broker;

import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.Command;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the broker does with peers that misbehave or vanish: clamps, refusals, answers to malformed messages, lost
 * connections and exited processes. A hand-moved clock, no sockets.
 */
class DispatcherRobustnessTest {
    private static final long MS = 1_000_000L;
    private static final long BROKER_PID = 99;

    private long nowNs = 1_000 * MS;
    private final Recorder outbox = new Recorder();
    private final Dispatcher dispatcher = new Dispatcher(new DispatcherSettings(BROKER_PID, 1_000 * MS, 3_000 * MS,
        500 * MS, 100, 1_000, 7_500, 50, 4, 2, 100), () -> nowNs, outbox);

    /** Records what the dispatcher sends; peers in {@link #gone} are unreachable. */
    private static final class Recorder implements Outbox {
        final List<String> toWorkers = new ArrayList<>();
        final List<byte[][]> workerFrames = new ArrayList<>();
        final List<byte[][]> clientFrames = new ArrayList<>();
        final Set<String> gone = new HashSet<>();

        @Override
        public boolean toWorker(byte[] routingId, byte[][] frames) {
            String worker = new String(routingId, StandardCharsets.UTF_8);
            if (gone.contains(worker)) {
                return false;
            }
            toWorkers.add(worker + ":" + Command.fromWire(frames[1][0]));
            workerFrames.add(frames);
            return true;
        }

        @Override
        public boolean toClient(byte[] routingId, byte[][] frames) {
            clientFrames.add(frames);
            return true;
        }

        @Override
        public void beat() {
        }

        long requestsTo(String worker) {
            return toWorkers.stream().filter(s -> s.equals(worker + ":REQUEST")).count();
        }

        byte[] jobIdSentTo(String worker) {
            for (int i = toWorkers.size() - 1; i >= 0; i--) {
                if (toWorkers.get(i).equals(worker + ":REQUEST")) {
                    return workerFrames.get(i)[2];
                }
            }
            throw new AssertionError("no job sent to " + worker);
        }

        FrontendCodec.Reply lastReply() {
            return (FrontendCodec.Reply) FrontendCodec.decodeFromBroker(clientFrames.get(clientFrames.size() - 1));
        }
    }

    private void ready(String worker, long pid, long capacity, long prefetch) {
        dispatcher.onWorkerMessage(bytes(worker), new byte[][] {BackendCodec.VERSION, {Command.READY.value()},
            decimal(pid), decimal(capacity), bytes("test"), decimal(prefetch)});
    }

    private void job(String requestId) {
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes(requestId), 5_000, bytes("NONE:::x")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] decimal(long value) {
        return bytes(Long.toString(value));
    }

    private String status() {
        return dispatcher.statusText(nowNs);
    }

    private static String text(byte[] frame) {
        return new String(frame, StandardCharsets.UTF_8);
    }

    @Test
    void workerClaimingAHugeCapacityIsClampedCountedAndGetsNoMoreJobsThanTheLimit() {
        ready("greedy", 7, 65_536, 2_000);
        for (int i = 0; i < 20; i++) {
            job("j" + i);
        }
        assertEquals(4 + 1, outbox.requestsTo("greedy"), "capacity clamped to 4, one prefetch before any reply");
        String status = status();
        assertTrue(status.contains("worker.7=label:test,capacity:4,prefetch:2,"), status);
        assertTrue(status.contains("\nworkers_clamped=1\n"), status);
    }

    @Test
    void readyWithCapacityZeroIsRefusedWithAReasonAtMostOncePerHeartbeatInterval() {
        ready("bad", 7, 0, 0);
        assertEquals(List.of("bad:DISCONNECT"), outbox.toWorkers);
        byte[][] refusal = outbox.workerFrames.get(0);
        assertEquals(3, refusal.length, "DISCONNECT carries the reason as a third frame");
        assertEquals("READY refused: READY capacity: must be 1 or more, got 0", text(refusal[2]));
        ready("bad", 7, 0, 0);
        nowNs += 999 * MS;
        dispatcher.onWorkerMessage(bytes("bad"), new byte[][] {BackendCodec.VERSION, {0x63}});
        assertEquals(1, outbox.toWorkers.size(), "the worker re-sending at once is not answered again yet");
        nowNs += 1 * MS;
        ready("bad", 7, 0, 0);
        assertEquals(2, outbox.toWorkers.size(), "one refusal per interval");
        assertEquals(0, dispatcher.workerCount());
        assertTrue(status().contains("\nrefusals=4\n"), status());
    }

    @Test
    void badReadyFromARegisteredWorkerUnregistersItAfterItsJobs() {
        ready("w", 7, 1, 0);
        job("1");
        byte[] jobId = outbox.jobIdSentTo("w");
        ready("w", 7, 0, 0);
        job("2");
        assertEquals(1, outbox.requestsTo("w"), "no new job after the refused READY");
        dispatcher.onWorkerMessage(bytes("w"), BackendCodec.reply(jobId, true, bytes("done")));
        assertEquals(ReplyStatus.OK, ((FrontendCodec.Reply) FrontendCodec.decodeFromBroker(outbox.clientFrames.get(0)))
            .status(), "its running job still returns");
        assertEquals(0, dispatcher.workerCount());
    }

    @Test
    void everyMalformedClientMessageIsAnsweredWhereTheSenderCanBeAddressed() {
        byte[] longId = new byte[256];
        Arrays.fill(longId, (byte) 'x');
        dispatcher.onClientMessage(bytes("c"), new byte[][] {FrontendCodec.VERSION, {2}, new byte[0], bytes("5"),
            bytes("NONE:::x")});
        assertEquals(ReplyStatus.INVALID, outbox.lastReply().status(), "request id of 0 bytes");
        dispatcher.onClientMessage(bytes("c"), new byte[][] {FrontendCodec.VERSION, {2}, longId, bytes("5"),
            bytes("NONE:::x")});
        assertEquals(ReplyStatus.INVALID, FrontendCodec.Reply.class.cast(decodeLenient(last())).status());
        assertArrayEquals(longId, last()[2], "a request id of 256 bytes comes back as sent");
        dispatcher.onClientMessage(bytes("c"), new byte[][] {FrontendCodec.VERSION, {2}});
        assertArrayEquals(new byte[0], last()[2], "no request id at all: an empty one");
        assertEquals("INVALID", text(last()[3]));
        dispatcher.onClientMessage(bytes("c"), new byte[][] {bytes("garbage"), bytes("frames")});
        assertEquals("INVALID", text(last()[3]), "neither v1 nor 0.x: INVALID with an empty request id");
        dispatcher.onClientMessage(bytes("c"), new byte[][] {new byte[0], bytes("a"), bytes("b")});
        assertEquals(2, last().length, "a REQ-style envelope gets a 0.x answer");
        assertEquals(BROKER_PID + ":ERROR:Invalid: message: a 0.x request is [envelope][\"\"][payload]: expected 1 "
            + "frame after the empty delimiter, got 2", text(last()[1]));
        assertEquals(5, outbox.clientFrames.size());
        assertTrue(status().contains("\nframes_dropped=5\n"), status());
    }

    private byte[][] last() {
        return outbox.clientFrames.get(outbox.clientFrames.size() - 1);
    }

    /** The Java client refuses request ids over 255 bytes; this reads the reply anyway. */
    private static FrontendCodec.Reply decodeLenient(byte[][] frames) {
        return new FrontendCodec.Reply(frames[2], ReplyStatus.fromWire(frames[3]), Long.parseLong(text(frames[4])),
            frames[5]);
    }

    @Test
    void malformedReplyToAJobTheWorkerHoldsFailsThatJobAtOnceAndFreesTheSlot() {
        ready("w", 7, 1, 0);
        job("1");
        byte[] jobId = outbox.jobIdSentTo("w");
        job("2");
        dispatcher.onWorkerMessage(bytes("w"), new byte[][] {BackendCodec.VERSION, {Command.REPLY.value()}, jobId,
            bytes("MAYBE"), bytes("x")});
        FrontendCodec.Reply reply = outbox.lastReply();
        assertEquals("1", text(reply.requestId()));
        assertEquals(ReplyStatus.ERROR, reply.status());
        assertEquals(7, reply.pid());
        assertTrue(text(reply.payload()).startsWith("io.powerhose.ProtocolException: worker pid 7 sent a malformed "
            + "REPLY: REPLY status: expected OK or ERROR"), text(reply.payload()));
        assertEquals(2, outbox.requestsTo("w"), "the queued job goes to the freed slot");
    }

    @Test
    void resultLargerThanTheLimitFailsItsJobWithTheLimit() {
        ready("w", 7, 1, 0);
        job("1");
        dispatcher.onWorkerMessage(bytes("w"), BackendCodec.reply(outbox.jobIdSentTo("w"), true, new byte[51]));
        assertEquals(ReplyStatus.ERROR, outbox.lastReply().status());
        assertEquals("io.powerhose.ProtocolException: the result of 51 bytes is larger than the broker's "
            + "maxReplyBytes=50", text(outbox.lastReply().payload()));
        assertTrue(status().contains("\nreplies_too_large=1\n"), status());
    }

    @Test
    void closedConnectionFailsTheJobsOfTheWorkerWhoseConnectionIsGoneAtOnce() {
        ready("a", 1, 1, 0);
        ready("b", 2, 1, 0);
        job("1");
        job("2");
        outbox.gone.add("a");
        dispatcher.onConnectionClosed();
        assertEquals(ReplyStatus.WORKER_LOST, outbox.lastReply().status());
        assertEquals(1, outbox.lastReply().pid(), "WORKER_LOST carries the lost worker's pid");
        assertEquals(1, outbox.clientFrames.size(), "b's job runs on");
        assertEquals(1, dispatcher.workerCount());
        assertTrue(status().contains("\nconnections_closed=1\n"), status());
    }

    @Test
    void closedConnectionThatLibzmqReportsLateIsFoundByTheNextProbes() {
        ready("a", 1, 1, 0);
        job("1");
        dispatcher.onConnectionClosed();
        assertEquals(0, outbox.clientFrames.size(), "a still answers the first probe");
        outbox.gone.add("a");
        nowNs += Dispatcher.PROBE_DELAYS_NS[0] - 1;
        dispatcher.onTimer();
        assertEquals(0, outbox.clientFrames.size());
        nowNs += 1;
        long next = dispatcher.onTimer();
        assertEquals(ReplyStatus.WORKER_LOST, outbox.lastReply().status(), "the probe 2 ms later finds it gone");
        assertEquals(nowNs + Dispatcher.PROBE_DELAYS_NS[1], next, "two more probes are scheduled");
    }

    @Test
    void probesStopAfterTheLastDelay() {
        ready("a", 1, 1, 0);
        dispatcher.onConnectionClosed();
        long next = 0;
        for (int i = 0; i < Dispatcher.PROBE_DELAYS_NS.length; i++) {
            nowNs += Dispatcher.PROBE_DELAYS_NS[i];
            next = dispatcher.onTimer();
        }
        long heartbeats = outbox.toWorkers.stream().filter(s -> s.equals("a:HEARTBEAT")).count();
        assertEquals(1 + Dispatcher.PROBE_DELAYS_NS.length, heartbeats, "one probe at once, one after each delay");
        assertTrue(next - nowNs > Dispatcher.PROBE_DELAYS_NS[2], "no more probes scheduled");
    }

    @Test
    void exitedWorkerProcessFailsItsJobsAtOnceAndOthersRunOn() {
        ready("a", 41, 1, 0);
        ready("b", 42, 1, 0);
        job("1");
        job("2");
        dispatcher.onWorkerProcessExited(41);
        assertEquals(ReplyStatus.WORKER_LOST, outbox.lastReply().status());
        assertEquals(41, outbox.lastReply().pid());
        assertTrue(text(outbox.lastReply().payload()).contains("process exited"), text(outbox.lastReply().payload()));
        assertEquals(1, dispatcher.workerCount());
        dispatcher.onWorkerProcessExited(12345);
        assertEquals(1, dispatcher.workerCount(), "an unknown pid changes nothing");
    }

    @Test
    void labelsAreCutAndCleanedSoThatStatusLinesStayParsable() {
        assertEquals("java", Dispatcher.label("java"));
        assertEquals("a_b_c_d", Dispatcher.label("a,b=c\nd"));
        assertEquals(Dispatcher.MAX_LABEL_CHARS, Dispatcher.label("x".repeat(1000)).length());
        assertEquals("caf_", Dispatcher.label("café"));
    }

    @Test
    void queueFullOfBytesAnswersBusyWithTheJobsQueued() {
        for (int i = 0; i < 12; i++) {
            job("q" + i);
        }
        assertEquals(0, outbox.clientFrames.size(), "12 jobs of 8 bytes fit in 100 bytes");
        job("refused");
        assertEquals(ReplyStatus.BUSY, outbox.lastReply().status());
        assertEquals("12", text(outbox.lastReply().payload()), "the jobs queued when it was refused");
        assertTrue(status().contains("\nqueued_bytes=96\n"), status());
        ready("w", 7, 1, 0);
        assertTrue(status().contains("\nqueued_bytes=88\n"), "one job left the queue:\n" + status());
    }

    @Test
    void jobWithTimeoutZeroRunsWhenAWorkerIsFreeAndOtherwiseExpiresOnTheNextTimer() {
        ready("w", 7, 1, 0);
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes("now"), 0, bytes("NONE:::x")));
        assertEquals(1, outbox.requestsTo("w"), "a free worker takes it");
        assertEquals("0", text(outbox.workerFrames.get(outbox.workerFrames.size() - 1)[3]), "with a budget of 0 ms");
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes("queued"), 0, bytes("NONE:::x")));
        dispatcher.onTimer();
        assertEquals(ReplyStatus.EXPIRED, outbox.lastReply().status());
    }
}
