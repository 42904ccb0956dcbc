package io.powerhose.internal.broker;

import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.Command;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The broker's routing, liveness and expiry rules, with a hand-moved clock and no sockets. */
class DispatcherTest {
    private static final long MS = 1_000_000L;
    private static final long BROKER_PID = 99;

    private long nowNs = 1_000 * MS;
    private final RecordingOutbox outbox = new RecordingOutbox();
    private final Dispatcher dispatcher = new Dispatcher(
        new DispatcherSettings(BROKER_PID, 1_000 * MS, 3_000 * MS, 500 * MS, 2, 1_000, 7_500),
        () -> nowNs, outbox);

    private static final class RecordingOutbox implements Outbox {
        final List<String> toWorkers = new ArrayList<>();
        final List<byte[][]> workerFrames = new ArrayList<>();
        final List<FrontendCodec.Reply> replies = new ArrayList<>();
        final List<byte[][]> clientFrames = new ArrayList<>();
        final Set<String> unreachable = new HashSet<>();
        int beats;

        @Override
        public boolean toWorker(byte[] routingId, byte[][] frames) {
            String worker = new String(routingId, StandardCharsets.US_ASCII);
            if (unreachable.contains(worker)) {
                return false;
            }
            toWorkers.add(worker + ":" + Command.fromWire(frames[1][0]));
            workerFrames.add(frames);
            return true;
        }

        @Override
        public boolean toClient(byte[] routingId, byte[][] frames) {
            clientFrames.add(frames);
            if (java.util.Arrays.equals(frames[0], FrontendCodec.VERSION)
                && FrontendCodec.decodeFromBroker(frames) instanceof FrontendCodec.Reply reply) {
                replies.add(reply);
            }
            return true;
        }

        @Override
        public void beat() {
            beats++;
        }

        List<String> requestsTo(String worker) {
            return toWorkers.stream().filter(s -> s.equals(worker + ":REQUEST")).toList();
        }

        List<byte[]> jobIdsTo(String worker) {
            List<byte[]> ids = new ArrayList<>();
            for (int i = 0; i < toWorkers.size(); i++) {
                if (toWorkers.get(i).equals(worker + ":REQUEST")) {
                    ids.add(workerFrames.get(i)[2]);
                }
            }
            return ids;
        }

        byte[] lastJobId() {
            return workerFrames.get(workerFrames.size() - 1)[2];
        }
    }

    private void ready(String worker, int capacity) {
        ready(worker, capacity, 0);
    }

    private void ready(String worker, int capacity, int prefetch) {
        dispatcher.onWorkerMessage(bytes(worker), BackendCodec.ready(100 + worker.hashCode() % 100, capacity, "test",
            prefetch));
    }

    private void job(String requestId) {
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes(requestId), 5_000, bytes("NONE:::x")));
    }

    private void reply(String worker, byte[] jobId) {
        dispatcher.onWorkerMessage(bytes(worker), BackendCodec.reply(jobId, true, bytes("done")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private ReplyStatus lastStatus() {
        return outbox.replies.get(outbox.replies.size() - 1).status();
    }

    @Test
    void routesToTheLeastLoadedWorkerAndHonoursCapacity() {
        ready("a", 2);
        ready("b", 1);
        job("1");
        job("2");
        job("3");
        assertEquals(2, outbox.requestsTo("a").size());
        assertEquals(1, outbox.requestsTo("b").size());
        job("4");
        assertEquals(3, outbox.requestsTo("a").size() + outbox.requestsTo("b").size(), "all busy: the 4th waits");
        assertEquals(0, outbox.replies.size());
    }

    @Test
    void prefetchSlotsAreUsedOnlyWhenEveryJobSlotIsFull() {
        ready("a", 1, 1);
        ready("b", 1, 1);
        job("1");
        job("2");
        assertEquals(1, outbox.requestsTo("a").size(), "a free job slot first");
        assertEquals(1, outbox.requestsTo("b").size(), "then the other free job slot, not a prefetch slot");
        job("3");
        job("4");
        assertEquals(2, outbox.requestsTo("a").size(), "all busy: one job queued at each worker");
        assertEquals(2, outbox.requestsTo("b").size());
        job("5");
        assertEquals(4, outbox.requestsTo("a").size() + outbox.requestsTo("b").size(), "the 5th waits in the broker");
        assertEquals(0, outbox.replies.size());
    }

    @Test
    void prefetchDeepensForAWorkerThatAnswersFastAndStaysOneForASlowOne() {
        ready("fast", 1, 32);
        ready("slow", 1, 32);
        for (int i = 0; i < 4; i++) {
            job("j" + i);
        }
        assertEquals(2, outbox.requestsTo("fast").size(), "before any reply: one running, one queued");
        assertEquals(2, outbox.requestsTo("slow").size());
        int fastReplies = 0;
        int maxHeldByFast = 0;
        for (int step = 1; step <= 100; step++) {
            nowNs += MS / 20;
            reply("fast", outbox.jobIdsTo("fast").get(fastReplies++));
            job("a" + step);
            job("b" + step);
            if (step % 100 == 0) {
                reply("slow", outbox.jobIdsTo("slow").get(0));
            }
            maxHeldByFast = Math.max(maxHeldByFast, outbox.requestsTo("fast").size() - fastReplies);
        }
        assertEquals(33, maxHeldByFast, "a reply every 50 µs: 2 ms of jobs is 40, capped at the 32 it offered");
        assertEquals(3, outbox.requestsTo("slow").size(), "one reply after 5 ms: still one queued behind one running");
    }

    @Test
    void idleWorkersShareJobsInTurn() {
        ready("a", 1);
        ready("b", 1);
        for (int i = 0; i < 10; i++) {
            job("j" + i);
            reply(outbox.toWorkers.get(outbox.toWorkers.size() - 1).split(":")[0], outbox.lastJobId());
        }
        assertEquals(5, outbox.requestsTo("a").size());
        assertEquals(5, outbox.requestsTo("b").size());
        assertEquals(10, outbox.replies.stream().filter(r -> r.status() == ReplyStatus.OK).count());
    }

    @Test
    void queuedJobGoesToTheWorkerThatFreesUp() {
        ready("a", 1);
        job("1");
        byte[] first = outbox.lastJobId();
        job("2");
        assertEquals(1, outbox.requestsTo("a").size());
        reply("a", first);
        assertEquals(2, outbox.requestsTo("a").size());
        assertEquals("1", new String(outbox.replies.get(0).requestId(), StandardCharsets.UTF_8));
    }

    @Test
    void fullQueueAnswersBusyAtOnce() {
        ready("a", 1);
        job("running");
        job("queued-1");
        job("queued-2");
        job("refused");
        assertEquals(1, outbox.replies.size());
        assertEquals(ReplyStatus.BUSY, lastStatus());
        assertEquals("2", new String(outbox.replies.get(0).payload(), StandardCharsets.UTF_8), "the bound");
    }

    @Test
    void queuedJobPastItsDeadlineExpires() {
        ready("a", 1);
        job("running");
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes("short"), 200, bytes("NONE:::x")));
        nowNs += 199 * MS;
        dispatcher.onTimer();
        assertEquals(0, outbox.replies.size());
        nowNs += 2 * MS;
        dispatcher.onTimer();
        assertEquals(ReplyStatus.EXPIRED, lastStatus());
    }

    @Test
    void withoutWorkersAJobWaitsTheGraceThenGetsNoWorker() {
        job("1");
        assertEquals(0, outbox.replies.size());
        nowNs += 300 * MS;
        dispatcher.onTimer();
        ready("late", 1);
        assertEquals(1, outbox.requestsTo("late").size(), "a worker within the grace takes it");

        job("2");
        job("3");
        nowNs += 3_001 * MS;
        long next = dispatcher.onTimer();
        assertEquals(ReplyStatus.WORKER_LOST, lastStatus(), "the silent worker's job fails");
        assertTrue(next - nowNs <= 500 * MS, "the queued jobs' no-worker grace is scheduled");
        nowNs = next;
        dispatcher.onTimer();
        assertEquals(ReplyStatus.NO_WORKER, lastStatus());
        assertEquals(3, outbox.replies.size());
    }

    @Test
    void silentWorkerIsForgottenAfterTheLivenessWindowAndItsJobFails() {
        ready("a", 1);
        job("1");
        nowNs += 2_999 * MS;
        dispatcher.onTimer();
        assertEquals(0, outbox.replies.size());
        nowNs += 1 * MS;
        dispatcher.onTimer();
        assertEquals(ReplyStatus.WORKER_LOST, lastStatus());
        assertEquals(0, dispatcher.workerCount());
    }

    @Test
    void heartbeatKeepsABusyWorkerAlive() {
        ready("a", 1);
        job("1");
        for (int i = 0; i < 10; i++) {
            nowNs += 1_000 * MS;
            dispatcher.onWorkerMessage(bytes("a"), BackendCodec.heartbeat());
            dispatcher.onTimer();
        }
        assertEquals(0, outbox.replies.size());
        assertEquals(1, dispatcher.workerCount());
        assertTrue(outbox.beats >= 10, "the broker beats every interval");
    }

    @Test
    void unknownWorkerIsToldToRegisterAgain() {
        dispatcher.onWorkerMessage(bytes("stranger"), BackendCodec.heartbeat());
        assertEquals(List.of("stranger:DISCONNECT"), outbox.toWorkers);
    }

    @Test
    void leavingWorkerGetsNoNewJobAndIsRemovedAfterItsLastReply() {
        ready("a", 2);
        ready("b", 1);
        job("1");
        byte[] onA = outbox.lastJobId();
        dispatcher.onWorkerMessage(bytes("a"), BackendCodec.disconnect());
        assertTrue(outbox.toWorkers.contains("a:DISCONNECT"), "the leave is acknowledged");
        job("2");
        job("3");
        assertEquals(1, outbox.requestsTo("a").size(), "nothing more to the leaving worker");
        assertEquals(1, outbox.requestsTo("b").size());
        reply("a", onA);
        assertEquals(ReplyStatus.OK, outbox.replies.get(0).status(), "its running job still returns");
        assertEquals(1, dispatcher.workerCount());
    }

    @Test
    void jobThatCannotReachItsWorkerIsRoutedToAnother() {
        ready("gone", 1);
        ready("here", 1);
        outbox.unreachable.add("gone");
        job("1");
        assertEquals(1, outbox.requestsTo("here").size());
        assertEquals(0, outbox.replies.size());
        assertEquals(1, dispatcher.workerCount());
    }

    @Test
    void oversizedJobIsRefused() {
        ready("a", 1);
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes("big"), 5_000, new byte[1_001]));
        assertEquals(ReplyStatus.TOO_LARGE, lastStatus());
        assertEquals(0, outbox.requestsTo("a").size());
    }

    @Test
    void randomFramesNeverThrowAndAreCounted() {
        Random random = new Random(3);
        byte[][] seeds = {bytes("PHC1"), bytes("PHW1"), {1}, {2}, {3}, {4}, {5}, {6}, {8}, bytes("OK"), bytes("12"),
            bytes("NONE:::x"), new byte[0], bytes("PING")};
        for (int i = 0; i < 20_000; i++) {
            byte[][] frames = new byte[random.nextInt(7)][];
            for (int f = 0; f < frames.length; f++) {
                frames[f] = random.nextInt(5) == 0 ? randomBytes(random) : seeds[random.nextInt(seeds.length)];
            }
            if (random.nextBoolean()) {
                dispatcher.onClientMessage(bytes("c" + random.nextInt(3)), frames);
            } else {
                dispatcher.onWorkerMessage(bytes("w" + random.nextInt(3)), frames);
            }
            nowNs += random.nextInt(5) * MS;
            dispatcher.onTimer();
        }
        assertTrue(dispatcher.counters().framesDropped() > 1_000);
    }

    private static byte[] randomBytes(Random random) {
        byte[] out = new byte[random.nextInt(12)];
        random.nextBytes(out);
        return out;
    }

    @Test
    void workersSharingAPidGetDistinctStatusLines() {
        dispatcher.onWorkerMessage(bytes("container-a"), BackendCodec.ready(1, 1, "java", 0));
        dispatcher.onWorkerMessage(bytes("container-b"), BackendCodec.ready(1, 1, "c", 0));
        String status = dispatcher.statusText(nowNs);
        assertTrue(status.contains("\nworker.1=label:java"), status);
        assertTrue(status.contains("\nworker.1#2=label:c"), status);
    }

    @Test
    void statusCountsTheJobsEachWorkerAnswered() {
        dispatcher.onWorkerMessage(bytes("a"), BackendCodec.ready(7, 1, "java@node-a", 0));
        for (int i = 0; i < 3; i++) {
            job("r" + i);
            reply("a", outbox.lastJobId());
        }
        String status = dispatcher.statusText(nowNs);
        assertTrue(status.contains("\nworker.7=label:java@node-a,capacity:1,prefetch:0,in_flight:0,done:3,age_ms:"),
            status);
    }
}
