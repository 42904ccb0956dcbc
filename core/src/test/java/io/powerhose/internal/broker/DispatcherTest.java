package io.powerhose.internal.broker;

import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.Command;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    private void retryableJob(String requestId) {
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes(requestId), 5_000,
            bytes("NONE:::" + requestId), FrontendCodec.FLAG_RETRYABLE));
    }

    private void cancel(String requestId) {
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.cancel(bytes(requestId)));
    }

    /** Lets the liveness window pass with only the {@code alive} workers heartbeating. */
    private void loseSilently(String... alive) {
        for (int i = 0; i < 3; i++) {
            nowNs += 1_000 * MS;
            for (String worker : alive) {
                dispatcher.onWorkerMessage(bytes(worker), BackendCodec.heartbeat());
            }
            dispatcher.onTimer();
        }
    }

    private String status(String key) {
        String prefix = key + "=";
        return dispatcher.statusText(nowNs).lines().filter(l -> l.startsWith(prefix))
            .map(l -> l.substring(prefix.length())).findFirst().orElseThrow();
    }

    private static long pidOf(String worker) {
        return 100 + worker.hashCode() % 100;
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
        byte[][] seeds = {bytes("PHC1"), bytes("PHW1"), {1}, {2}, {3}, {4}, {5}, {6}, {8}, {9}, bytes("OK"), bytes("12"),
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

    // ------------------------------------------------------------------------------------------ retry

    @Test
    void retryableJobOfALostWorkerRunsOnceMoreOnAnotherWorkerAndIsAnsweredOnce() {
        ready("a", 1);
        retryableJob("1");
        ready("b", 1);
        assertEquals(1, outbox.requestsTo("a").size());
        loseSilently("b");
        assertEquals(0, outbox.replies.size(), "no WORKER_LOST: the job is sent again");
        assertEquals(1, outbox.requestsTo("b").size(), "to the other worker");
        byte[][] resent = outbox.workerFrames.get(outbox.workerFrames.size() - 1);
        assertEquals("NONE:::1", new String(resent[4], StandardCharsets.UTF_8), "the same payload");
        assertTrue(Long.parseLong(new String(resent[3], StandardCharsets.US_ASCII)) <= 2_000,
            "with what is left of its timeout: " + new String(resent[3], StandardCharsets.US_ASCII));
        reply("b", outbox.lastJobId());
        assertEquals(1, outbox.replies.size());
        assertEquals(ReplyStatus.OK, lastStatus());
        assertEquals(pidOf("b"), outbox.replies.get(0).pid());
        assertEquals("1", status("jobs_retried"));
        assertEquals("0", status("jobs_worker_lost"));
    }

    @Test
    void retryableJobThatLosesASecondWorkerFailsAndSaysItWasNotRetriedAgain() {
        ready("a", 1);
        retryableJob("poison");
        ready("b", 1);
        ready("c", 1);
        loseSilently("b", "c");
        assertEquals(1, outbox.requestsTo("b").size() + outbox.requestsTo("c").size());
        String second = outbox.requestsTo("b").isEmpty() ? "c" : "b";
        String third = second.equals("b") ? "c" : "b";
        loseSilently(third);
        assertEquals(1, outbox.replies.size());
        FrontendCodec.Reply lost = outbox.replies.get(0);
        assertEquals(ReplyStatus.WORKER_LOST, lost.status());
        assertEquals(pidOf(second), lost.pid());
        String text = new String(lost.payload(), StandardCharsets.UTF_8);
        assertTrue(text.contains("poison-job cap") && text.contains("worker pid " + pidOf("a")), text);
        assertEquals(0, outbox.requestsTo(third).size(), "never a third run");
        assertEquals("1", status("jobs_retried"));
        assertEquals("1", status("jobs_worker_lost"));
    }

    @Test
    void jobWithoutTheRetryableFlagFailsWhenItsWorkerIsLost() {
        ready("a", 1);
        job("once");
        ready("b", 1);
        loseSilently("b");
        assertEquals(ReplyStatus.WORKER_LOST, lastStatus());
        assertEquals(0, outbox.requestsTo("b").size(), "at most once: never sent again");
        String text = new String(outbox.replies.get(0).payload(), StandardCharsets.UTF_8);
        assertFalse(text.contains("poison"), text);
    }

    @Test
    void retriedJobsOfTwoWorkersLostTogetherDoNotGoToEachOther() {
        ready("a", 1);
        ready("b", 1);
        retryableJob("1");
        retryableJob("2");
        ready("c", 2);
        loseSilently("c");
        assertEquals(0, outbox.replies.size(), "both retried, none charged with a second loss");
        assertEquals(2, outbox.requestsTo("c").size());
        assertEquals("2", status("jobs_retried"));
    }

    @Test
    void retryableJobWithNoWorkerLeftWaitsTheGraceThenGetsNoWorker() {
        ready("a", 1);
        retryableJob("1");
        loseSilently();
        assertEquals(0, outbox.replies.size());
        assertEquals("1", status("queued"));
        nowNs += 500 * MS;
        dispatcher.onTimer();
        assertEquals(ReplyStatus.NO_WORKER, lastStatus());
    }

    // ------------------------------------------------------------------------------------------ cancel

    @Test
    void cancelledQueuedJobIsDroppedAndNeverRuns() {
        ready("a", 1);
        job("running");
        byte[] running = outbox.lastJobId();
        job("queued");
        assertEquals("1", status("queued"));
        assertEquals(Integer.toString("NONE:::x".length()), status("queued_bytes"));
        cancel("queued");
        assertEquals("0", status("queued"));
        assertEquals("0", status("queued_bytes"), "a cancelled job's bytes are given back at once");
        reply("a", running);
        assertEquals("0", status("queued_bytes"), "and not twice when it leaves the queue");
        assertEquals(1, outbox.requestsTo("a").size(), "the cancelled job is never sent");
        assertEquals(1, outbox.replies.size(), "and never answered");
        assertEquals("1", status("jobs_cancelled_queued"));
        assertEquals("0", status("jobs_cancelled_running"));
        nowNs += 10_000 * MS;
        dispatcher.onTimer();
        assertEquals(1, outbox.replies.size(), "no EXPIRED for it either");
    }

    @Test
    void cancelledRunningJobRunsButItsResultIsDiscarded() {
        ready("a", 1);
        job("1");
        byte[] jobId = outbox.lastJobId();
        cancel("1");
        job("2");
        reply("a", jobId);
        assertEquals(0, outbox.replies.stream().filter(r -> new String(r.requestId(), StandardCharsets.UTF_8)
            .equals("1")).count(), "no reply for the cancelled job");
        assertEquals(2, outbox.requestsTo("a").size(), "the worker's slot is free again");
        reply("a", outbox.lastJobId());
        assertEquals(1, outbox.replies.size());
        assertEquals("1", status("jobs_cancelled_running"));
        assertEquals("1", status("jobs_ok"));
    }

    @Test
    void cancelledJobIsNotRetriedAndAnUnknownCancelIsCountedAndIgnored() {
        ready("a", 1);
        retryableJob("1");
        ready("b", 1);
        cancel("1");
        cancel("never-sent");
        loseSilently("b");
        assertEquals(0, outbox.requestsTo("b").size());
        assertEquals(0, outbox.replies.size());
        assertEquals("0", status("jobs_retried"));
        assertEquals("1", status("cancels_unmatched"));
        cancel("1");
        assertEquals("2", status("cancels_unmatched"), "a second cancel of the same call finds nothing");
    }

    @Test
    void cancelledJobsDoNotCountAgainstTheQueueBound() {
        ready("a", 1);
        job("running");
        for (int i = 0; i < 3_000; i++) {
            job("q" + i);
            cancel("q" + i);
        }
        job("x");
        job("y");
        assertEquals(0, outbox.replies.size(), "no BUSY: the queue holds two live jobs, its bound");
        job("z");
        assertEquals(ReplyStatus.BUSY, lastStatus());
        assertEquals("3000", status("jobs_cancelled_queued"));
        assertEquals(Long.toString(2L * "NONE:::x".length()), status("queued_bytes"), "only the two live jobs");
    }

    @Test
    void randomJobsCancelsRepliesAndLossesKeepEveryPromise() {
        Random random = new Random(17);
        Map<String, Integer> runsByRequest = new HashMap<>();
        Map<String, Integer> repliesByRequest = new HashMap<>();
        Map<String, java.util.ArrayDeque<byte[]>> heldByWorker = new HashMap<>();
        Set<String> retryable = new HashSet<>();
        Set<String> cancelled = new HashSet<>();
        List<String> workers = new ArrayList<>();
        int nextWorker = 0;
        int nextRequest = 0;
        int seen = 0;
        for (int step = 0; step < 20_000; step++) {
            int action = random.nextInt(100);
            if (workers.size() < 2 || action < 2 && workers.size() < 6) {
                String worker = "w" + nextWorker++;
                workers.add(worker);
                heldByWorker.put(worker, new java.util.ArrayDeque<>());
                ready(worker, 1 + random.nextInt(2), random.nextInt(3));
            } else if (action < 4 && workers.size() > 2) {
                // A worker dies: the others heartbeat through the liveness window.
                workers.remove(random.nextInt(workers.size()));
                loseSilently(workers.toArray(new String[0]));
            } else if (action < 40) {
                String id = "r" + nextRequest++;
                if (random.nextBoolean()) {
                    retryable.add(id);
                    retryableJob(id);
                } else {
                    dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes(id), 60_000,
                        bytes("NONE:::" + id)));
                }
            } else if (action < 50 && nextRequest > 0) {
                String id = "r" + Math.max(0, nextRequest - 1 - random.nextInt(5));
                cancelled.add(id);
                cancel(id);
            } else if (action < 85) {
                String worker = workers.get(random.nextInt(workers.size()));
                byte[] jobId = heldByWorker.get(worker).pollFirst();
                if (jobId != null) {
                    reply(worker, jobId);
                }
            } else {
                nowNs += random.nextInt(3) * MS;
                for (String worker : workers) {
                    dispatcher.onWorkerMessage(bytes(worker), BackendCodec.heartbeat());
                }
                dispatcher.onTimer();
            }
            seen = record(seen, runsByRequest, heldByWorker);
        }
        for (Map.Entry<String, Integer> runs : runsByRequest.entrySet()) {
            int allowed = retryable.contains(runs.getKey()) ? 2 : 1;
            assertTrue(runs.getValue() <= allowed, runs.getKey() + " sent " + runs.getValue() + " times");
        }
        // Let every job end: workers answer all they hold, time passes beyond every deadline.
        for (int round = 0; round < 100; round++) {
            for (String worker : workers) {
                byte[] jobId;
                while ((jobId = heldByWorker.get(worker).pollFirst()) != null) {
                    reply(worker, jobId);
                    seen = record(seen, runsByRequest, heldByWorker);
                }
            }
            nowNs += 1_000 * MS;
            for (String worker : workers) {
                dispatcher.onWorkerMessage(bytes(worker), BackendCodec.heartbeat());
            }
            dispatcher.onTimer();
            seen = record(seen, runsByRequest, heldByWorker);
        }
        for (FrontendCodec.Reply reply : outbox.replies) {
            repliesByRequest.merge(new String(reply.requestId(), StandardCharsets.UTF_8), 1, Integer::sum);
        }
        for (int i = 0; i < nextRequest; i++) {
            String id = "r" + i;
            int replies = repliesByRequest.getOrDefault(id, 0);
            assertTrue(replies <= 1, id + " answered " + replies + " times");
            if (!cancelled.contains(id)) {
                assertEquals(1, replies, id + " was never answered");
            }
        }
        assertEquals("0", status("in_flight"));
        assertEquals("0", status("queued"));
        for (String exercised : List.of("jobs_retried", "jobs_worker_lost", "jobs_cancelled_queued",
            "jobs_cancelled_running", "jobs_busy", "jobs_ok")) {
            assertTrue(Long.parseLong(status(exercised)) > 0, "the run never exercised " + exercised + ":\n"
                + dispatcher.statusText(nowNs));
        }
    }

    /** Reads the REQUESTs sent since {@code seen}: counts runs per request, and what each worker holds. */
    private int record(int seen, Map<String, Integer> runsByRequest,
                       Map<String, java.util.ArrayDeque<byte[]>> heldByWorker) {
        for (; seen < outbox.workerFrames.size(); seen++) {
            byte[][] frames = outbox.workerFrames.get(seen);
            if (frames[1][0] == Command.REQUEST.value()) {
                String worker = outbox.toWorkers.get(seen).split(":")[0];
                heldByWorker.get(worker).addLast(frames[2]);
                runsByRequest.merge(new String(frames[4], StandardCharsets.UTF_8).substring("NONE:::".length()), 1,
                    Integer::sum);
            }
        }
        return seen;
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
