package io.powerhose.internal.broker;

import io.powerhose.ProtocolException;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.Frames;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The broker's state machine: the worker table, the job queue, routing, liveness and expiry.
 *
 * <p>Pure logic: it reads time from an injected clock and sends through an {@link Outbox}, so it is tested
 * without sockets by moving the clock by hand. Owned by the broker thread ({@code powerhose-broker});
 * never called from another thread.
 */
public final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    private final DispatcherSettings settings;
    private final LongSupplier nanoClock;
    private final Outbox outbox;
    private final DistinctErrorLog errors;
    private final BrokerCounters counters = new BrokerCounters();

    private final Map<RoutingId, WorkerEntry> workerByRoutingId = new LinkedHashMap<>();
    private final Map<Long, InFlightJob> inFlightByJobId = new HashMap<>();
    private final ArrayDeque<QueuedJob> queue = new ArrayDeque<>();
    private final long startNs;
    /**
     * Job ids start at a random point so that a reply to a job of an earlier broker (one that was killed
     * while a worker ran the job) never matches a job of this one.
     */
    private long nextJobId = java.util.concurrent.ThreadLocalRandom.current().nextLong();
    private long nextBeatNs;
    private long nextLivenessCheckNs = Long.MAX_VALUE;
    private long nextQueueCheckNs = Long.MAX_VALUE;
    private long noWorkersSinceNs;
    private boolean draining;
    private boolean workersChanged = true;
    private long dispatchCount;

    /**
     * Creates the dispatcher.
     *
     * @param settings limits and timings
     * @param nanoClock monotonic time in nanoseconds
     * @param outbox where to send
     */
    public Dispatcher(DispatcherSettings settings, LongSupplier nanoClock, Outbox outbox) {
        this.settings = settings;
        this.nanoClock = nanoClock;
        this.outbox = outbox;
        this.errors = new DistinctErrorLog(LOG);
        this.startNs = nanoClock.getAsLong();
        this.nextBeatNs = startNs;
        this.noWorkersSinceNs = startNs;
    }

    // ------------------------------------------------------------------------------------------ frontend

    /**
     * Handles one message from a client. Never throws for bad input: it answers or drops.
     *
     * @param routingId the client's routing id
     * @param frames the frames after the routing id
     */
    public void onClientMessage(byte[] routingId, byte[][] frames) {
        FrontendCodec.FromClient message;
        try {
            message = FrontendCodec.decodeFromClient(frames);
        } catch (ProtocolException e) {
            rejectMalformedClientMessage(routingId, frames, e);
            return;
        }
        long nowNs = nanoClock.getAsLong();
        if (message instanceof FrontendCodec.Request request) {
            onJob(new ClientRef(routingId, request.requestId(), null), request.payload(), request.timeoutMs(), nowNs);
        } else if (message instanceof FrontendCodec.LegacyRequest legacy) {
            onJob(new ClientRef(routingId, null, legacy.envelope()), legacy.payload(), settings.legacyTimeoutMs(),
                nowNs);
        } else if (message instanceof FrontendCodec.Ping ping) {
            outbox.toClient(routingId, FrontendCodec.pong(ping.requestId(), settings.brokerPid()));
        } else if (message instanceof FrontendCodec.LegacyPing ping) {
            outbox.toClient(routingId, FrontendCodec.legacyPong(ping.envelope(), settings.brokerPid()));
        } else if (message instanceof FrontendCodec.Status status) {
            outbox.toClient(routingId, FrontendCodec.statusReply(status.requestId(), statusText(nowNs)));
        }
    }

    private void rejectMalformedClientMessage(byte[] routingId, byte[][] frames, ProtocolException e) {
        counters.framesDropped++;
        errors.record("malformed message from client " + new RoutingId(routingId) + ": " + e.getMessage());
        byte[] requestId = FrontendCodec.requestIdOrNull(frames);
        if (requestId != null) {
            outbox.toClient(routingId, FrontendCodec.reply(requestId, ReplyStatus.INVALID, settings.brokerPid(),
                utf8(e.getMessage())));
        }
    }

    private void onJob(ClientRef client, byte[] payload, long timeoutMs, long nowNs) {
        counters.jobsReceived++;
        if (payload.length > settings.maxJobBytes()) {
            answer(client, ReplyStatus.TOO_LARGE, settings.brokerPid(), utf8(Long.toString(settings.maxJobBytes())));
            return;
        }
        if (draining) {
            answer(client, ReplyStatus.NO_WORKER, settings.brokerPid(), utf8("broker stopping"));
            return;
        }
        long deadlineNs = nowNs + Math.min(timeoutMs, Long.MAX_VALUE / 2_000_000) * 1_000_000;
        QueuedJob job = new QueuedJob(client, payload, nowNs, deadlineNs);
        if (queue.isEmpty()) {
            WorkerEntry worker = leastLoadedWorker();
            if (worker != null) {
                if (!dispatch(job, worker, nowNs)) {
                    dispatchQueued(nowNs); // it went back to the queue: try the next worker
                }
                return;
            }
        }
        if (queue.size() >= settings.maxQueuedJobs()) {
            counters.jobsBusy++;
            answer(client, ReplyStatus.BUSY, settings.brokerPid(), utf8(Integer.toString(settings.maxQueuedJobs())));
            return;
        }
        queue.addLast(job);
        nextQueueCheckNs = Math.min(nextQueueCheckNs, Math.min(deadlineNs, noWorkerDeadlineNs(job)));
    }

    // ------------------------------------------------------------------------------------------ backend

    /**
     * Handles one message from a worker. Never throws for bad input: it drops it and counts it.
     *
     * @param routingId the worker's routing id
     * @param frames the frames after the routing id
     */
    public void onWorkerMessage(byte[] routingId, byte[][] frames) {
        BackendCodec.FromWorker message;
        try {
            message = BackendCodec.decodeFromWorker(frames);
        } catch (ProtocolException e) {
            counters.framesDropped++;
            errors.record("malformed message from worker " + new RoutingId(routingId) + ": " + e.getMessage());
            return;
        }
        long nowNs = nanoClock.getAsLong();
        RoutingId key = new RoutingId(routingId);
        WorkerEntry worker = workerByRoutingId.get(key);
        if (worker != null) {
            worker.lastSeenNs = nowNs;
        }
        if (message instanceof BackendCodec.Ready ready) {
            onReady(key, worker, ready, nowNs);
        } else if (message instanceof BackendCodec.Reply reply) {
            onReply(worker, routingId, reply, nowNs);
        } else if (message instanceof BackendCodec.Heartbeat) {
            outbox.toWorker(routingId, worker != null ? BackendCodec.heartbeat() : BackendCodec.disconnect());
        } else if (message instanceof BackendCodec.Disconnect) {
            onWorkerDisconnect(worker, routingId);
        }
    }

    private void onReady(RoutingId key, WorkerEntry known, BackendCodec.Ready ready, long nowNs) {
        if (known != null) {
            known.capacity = ready.capacity();
            known.prefetch = ready.prefetch();
            known.leaving = false;
        } else {
            WorkerEntry worker = new WorkerEntry(key.bytes(), ready.pid(), ready.capacity(), ready.label(), nowNs);
            worker.prefetch = ready.prefetch();
            workerByRoutingId.put(key, worker);
            workersChanged = true;
            LOG.info("worker {} registered (pid {}, capacity {}{})", key, ready.pid(), ready.capacity(),
                ready.label().isEmpty() ? "" : ", " + ready.label());
            nextLivenessCheckNs = Math.min(nextLivenessCheckNs, nowNs + settings.livenessNs());
        }
        dispatchQueued(nowNs);
    }

    private void onReply(WorkerEntry worker, byte[] routingId, BackendCodec.Reply reply, long nowNs) {
        InFlightJob job = reply.jobId().length == 8 ? inFlightByJobId.remove(Frames.parseLongId(reply.jobId())) : null;
        if (worker == null) {
            // A worker we do not know (we restarted, or we forgot it): tell it to register again.
            outbox.toWorker(routingId, BackendCodec.disconnect());
        }
        if (job == null) {
            counters.lateReplies++;
            return;
        }
        job.worker.inFlight.remove(job.jobId);
        job.worker.onReply(job.sentNs, nowNs);
        job.worker.jobsDone++;
        if (reply.ok()) {
            counters.jobsOk++;
        } else {
            counters.jobsError++;
        }
        answer(job.client, reply.ok() ? ReplyStatus.OK : ReplyStatus.ERROR, job.worker.pid, reply.payload());
        if (job.worker.leaving && job.worker.inFlight.isEmpty()) {
            removeWorker(job.worker, "left");
        }
        dispatchQueued(nowNs);
    }

    private void onWorkerDisconnect(WorkerEntry worker, byte[] routingId) {
        outbox.toWorker(routingId, BackendCodec.disconnect());
        if (worker == null) {
            return;
        }
        worker.leaving = true;
        workersChanged = true;
        LOG.info("worker pid {} is leaving ({} jobs to finish)", worker.pid, worker.inFlight.size());
        if (worker.inFlight.isEmpty()) {
            removeWorker(worker, "left");
        } else if (!hasActiveWorker()) {
            noWorkersSinceNs = nanoClock.getAsLong();
            nextQueueCheckNs = Math.min(nextQueueCheckNs, noWorkersSinceNs + settings.noWorkerGraceNs());
        }
    }

    // ------------------------------------------------------------------------------------------ routing

    /**
     * The least-loaded worker with a free job slot; when every worker's slots are full, the least-loaded one
     * with a free prefetch slot (it queues the job and starts it the moment a slot frees, instead of idling for
     * a broker round trip); null when none can take a job.
     */
    private WorkerEntry leastLoadedWorker() {
        WorkerEntry best = null;
        WorkerEntry bestPrefetch = null;
        for (WorkerEntry worker : workerByRoutingId.values()) {
            int held = worker.inFlight.size();
            if (worker.leaving || held >= worker.capacity + worker.effectivePrefetch()) {
                continue;
            }
            if (held < worker.capacity) {
                if (best == null || isLessLoaded(worker, best)) {
                    best = worker;
                }
            } else if (bestPrefetch == null || isLessLoaded(worker, bestPrefetch)) {
                bestPrefetch = worker;
            }
        }
        return best != null ? best : bestPrefetch;
    }

    private static boolean isLessLoaded(WorkerEntry a, WorkerEntry b) {
        long loadA = (long) a.inFlight.size() * b.capacity;
        long loadB = (long) b.inFlight.size() * a.capacity;
        if (loadA != loadB) {
            return loadA < loadB;
        }
        return a.lastDispatchSeq < b.lastDispatchSeq;
    }

    private void dispatchQueued(long nowNs) {
        while (!queue.isEmpty()) {
            WorkerEntry worker = leastLoadedWorker();
            if (worker == null) {
                return;
            }
            dispatch(queue.pollFirst(), worker, nowNs);
        }
    }

    private boolean dispatch(QueuedJob job, WorkerEntry worker, long nowNs) {
        long jobId = nextJobId++;
        long budgetMs = Math.max(0, (job.deadlineNs - nowNs) / 1_000_000);
        if (!outbox.toWorker(worker.routingId, BackendCodec.request(Frames.longId(jobId), budgetMs, job.payload))) {
            // Never reached the worker, so it did not run: route it again, and forget the worker.
            queue.addFirst(job);
            removeWorker(worker, "unreachable");
            return false;
        }
        worker.inFlight.add(jobId);
        worker.lastDispatchSeq = ++dispatchCount;
        inFlightByJobId.put(jobId, new InFlightJob(jobId, job.client, worker, nowNs));
        counters.jobsRouted++;
        return true;
    }

    // ------------------------------------------------------------------------------------------ timers

    /**
     * Runs the timers: heartbeat, worker liveness, queue expiry and the no-worker grace.
     *
     * @return the time in nanoseconds (same clock) at which this should run next
     */
    public long onTimer() {
        long nowNs = nanoClock.getAsLong();
        if (nowNs - nextBeatNs >= 0) {
            outbox.beat();
            nextBeatNs = nowNs + settings.heartbeatIntervalNs();
        }
        if (nowNs - nextLivenessCheckNs >= 0) {
            purgeSilentWorkers(nowNs);
        }
        if (nowNs - nextQueueCheckNs >= 0) {
            expireQueuedJobs(nowNs);
        }
        return Math.min(nextBeatNs, Math.min(nextLivenessCheckNs, nextQueueCheckNs));
    }

    private void purgeSilentWorkers(long nowNs) {
        long next = Long.MAX_VALUE;
        List<WorkerEntry> silent = new ArrayList<>();
        for (WorkerEntry worker : workerByRoutingId.values()) {
            long expiresNs = worker.lastSeenNs + settings.livenessNs();
            if (nowNs - expiresNs >= 0) {
                silent.add(worker);
            } else {
                next = Math.min(next, expiresNs);
            }
        }
        for (WorkerEntry worker : silent) {
            removeWorker(worker, "silent for " + (nowNs - worker.lastSeenNs) / 1_000_000 + " ms");
        }
        nextLivenessCheckNs = next;
    }

    private void expireQueuedJobs(long nowNs) {
        long next = Long.MAX_VALUE;
        boolean noWorker = !hasActiveWorker();
        for (Iterator<QueuedJob> it = queue.iterator(); it.hasNext(); ) {
            QueuedJob job = it.next();
            if (nowNs - job.deadlineNs >= 0) {
                it.remove();
                counters.jobsExpired++;
                answer(job.client, ReplyStatus.EXPIRED, settings.brokerPid(),
                    utf8("waited " + (nowNs - job.arrivalNs) / 1_000_000
                        + " ms in the broker queue, past its timeout"));
            } else if (noWorker && nowNs - noWorkerDeadlineNs(job) >= 0) {
                it.remove();
                counters.jobsNoWorker++;
                answer(job.client, ReplyStatus.NO_WORKER, settings.brokerPid(), utf8("No worker"));
            } else {
                next = Math.min(next, noWorker ? Math.min(job.deadlineNs, noWorkerDeadlineNs(job)) : job.deadlineNs);
            }
        }
        nextQueueCheckNs = next;
    }

    private long noWorkerDeadlineNs(QueuedJob job) {
        return Math.max(job.arrivalNs, noWorkersSinceNs) + settings.noWorkerGraceNs();
    }

    private boolean hasActiveWorker() {
        for (WorkerEntry worker : workerByRoutingId.values()) {
            if (!worker.leaving) {
                return true;
            }
        }
        return false;
    }

    private void removeWorker(WorkerEntry worker, String why) {
        workerByRoutingId.remove(new RoutingId(worker.routingId));
        workersChanged = true;
        if (!worker.inFlight.isEmpty()) {
            counters.workersLost++;
            LOG.warn("worker pid {} lost ({}): failing its {} job(s)", worker.pid, why, worker.inFlight.size());
        } else {
            LOG.info("worker pid {} removed ({})", worker.pid, why);
        }
        for (long jobId : worker.inFlight) {
            InFlightJob job = inFlightByJobId.remove(jobId);
            if (job != null) {
                counters.jobsWorkerLost++;
                answer(job.client, ReplyStatus.WORKER_LOST, worker.pid,
                    utf8("worker pid " + worker.pid + " lost (" + why + ") while running the job"));
            }
        }
        worker.inFlight.clear();
        if (!hasActiveWorker()) {
            noWorkersSinceNs = nanoClock.getAsLong();
            nextQueueCheckNs = Math.min(nextQueueCheckNs, noWorkersSinceNs + settings.noWorkerGraceNs());
        }
    }

    // ------------------------------------------------------------------------------------------ stopping

    /** Stops taking jobs: queued ones are answered NO_WORKER now, in-flight ones may still finish. */
    public void startDraining() {
        draining = true;
        while (!queue.isEmpty()) {
            answer(queue.pollFirst().client, ReplyStatus.NO_WORKER, settings.brokerPid(), utf8("broker stopping"));
        }
    }

    /** @return the number of jobs running on workers */
    public int inFlightCount() {
        return inFlightByJobId.size();
    }

    /** Fails every job still running, and tells every worker to register again with the next broker. */
    public void abandonAll() {
        for (InFlightJob job : inFlightByJobId.values()) {
            answer(job.client, ReplyStatus.WORKER_LOST, job.worker.pid,
                utf8("broker stopped before worker pid " + job.worker.pid + " replied"));
        }
        inFlightByJobId.clear();
        for (WorkerEntry worker : workerByRoutingId.values()) {
            outbox.toWorker(worker.routingId, BackendCodec.disconnect());
        }
        workerByRoutingId.clear();
    }

    // ------------------------------------------------------------------------------------------ replies

    private void answer(ClientRef client, ReplyStatus status, long pid, byte[] payload) {
        byte[][] frames;
        if (client.requestId() != null) {
            frames = FrontendCodec.reply(client.requestId(), status, pid, payload);
        } else {
            boolean fromWorker = status == ReplyStatus.OK || status == ReplyStatus.ERROR;
            byte[] text = fromWorker ? payload : legacyText(status, payload);
            frames = FrontendCodec.legacyReply(client.envelope(), status == ReplyStatus.OK, pid, text);
        }
        if (!outbox.toClient(client.routingId(), frames)) {
            counters.repliesUndeliverable++;
        }
    }

    private static byte[] legacyText(ReplyStatus status, byte[] payload) {
        String detail = new String(payload, StandardCharsets.UTF_8);
        return utf8(switch (status) {
            case NO_WORKER -> "No worker".equals(detail) ? detail : "No worker: " + detail;
            case BUSY -> "Busy: all workers busy and " + detail + " jobs queued";
            case TOO_LARGE -> "Job too large: limit " + detail + " bytes";
            case EXPIRED -> "Expired: " + detail;
            case WORKER_LOST -> "Worker lost: " + detail;
            default -> status + ": " + detail;
        });
    }

    // ------------------------------------------------------------------------------------------ status

    /**
     * Renders the broker's state and counters, one {@code key=value} per line.
     *
     * @param nowNs the current time
     * @return the text
     */
    public String statusText(long nowNs) {
        StringBuilder out = new StringBuilder(256);
        out.append("pid=").append(settings.brokerPid()).append('\n');
        out.append("uptime_ms=").append((nowNs - startNs) / 1_000_000).append('\n');
        out.append("workers=").append(workerByRoutingId.size()).append('\n');
        out.append("queued=").append(queue.size()).append('\n');
        out.append("in_flight=").append(inFlightByJobId.size()).append('\n');
        counters.appendTo(out);
        Map<Long, Integer> seenByPid = new HashMap<>();
        for (WorkerEntry worker : workerByRoutingId.values()) {
            // Workers on other hosts or in containers may share a pid (every container's first process is 1).
            int seen = seenByPid.merge(worker.pid, 1, Integer::sum);
            out.append("worker.").append(worker.pid).append(seen > 1 ? "#" + seen : "").append('=')
                .append("label:").append(worker.label.isEmpty() ? "-" : worker.label)
                .append(",capacity:").append(worker.capacity)
                .append(",prefetch:").append(worker.prefetch)
                .append(",in_flight:").append(worker.inFlight.size())
                .append(",done:").append(worker.jobsDone)
                .append(",age_ms:").append((nowNs - worker.registeredNs) / 1_000_000)
                .append(worker.leaving ? ",leaving" : "")
                .append('\n');
        }
        return out.toString();
    }

    /** @return the counters (live; read on the broker thread) */
    public BrokerCounters counters() {
        return counters;
    }

    /**
     * Tells whether a worker registered or was removed since the last call, and clears the flag.
     *
     * @return true when the worker set changed
     */
    public boolean takeWorkersChanged() {
        boolean changed = workersChanged;
        workersChanged = false;
        return changed;
    }

    /** @return the pids of the registered workers that are not leaving */
    public java.util.Set<Long> activeWorkerPids() {
        java.util.Set<Long> pids = new java.util.HashSet<>();
        for (WorkerEntry worker : workerByRoutingId.values()) {
            if (!worker.leaving) {
                pids.add(worker.pid);
            }
        }
        return pids;
    }

    /** @return the number of registered workers */
    public int workerCount() {
        return workerByRoutingId.size();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Who to answer: a v1 request id, or a 0.x envelope. */
    private record ClientRef(byte[] routingId, byte[] requestId, byte[][] envelope) {
    }

    private record QueuedJob(ClientRef client, byte[] payload, long arrivalNs, long deadlineNs) {
    }

    private record InFlightJob(long jobId, ClientRef client, WorkerEntry worker, long sentNs) {
    }

    /** The work, in estimated time, that may wait at a worker beyond the jobs it runs. */
    static final long PREFETCH_WINDOW_NS = 2_000_000;

    private static final class WorkerEntry {
        final byte[] routingId;
        final long pid;
        final String label;
        final long registeredNs;
        final java.util.Set<Long> inFlight = new java.util.HashSet<>();
        int capacity;
        int prefetch;
        long lastSeenNs;
        long lastDispatchSeq;
        long lastReplyNs;
        /** Average time between two replies while the worker is kept busy (EWMA); 0 before the first reply. */
        long replyGapNs;
        /** Jobs it answered (OK or ERROR), for STATUS. */
        long jobsDone;
        boolean leaving;

        WorkerEntry(byte[] routingId, long pid, int capacity, String label, long nowNs) {
            this.routingId = routingId;
            this.pid = pid;
            this.capacity = capacity;
            this.label = label;
            this.registeredNs = nowNs;
            this.lastSeenNs = nowNs;
        }

        /**
         * Learns how fast the worker answers: the time from when a job could start (sent, or the previous reply
         * if later) to its reply, averaged over the last few replies.
         */
        void onReply(long sentNs, long nowNs) {
            long startNs = lastReplyNs != 0 && lastReplyNs - sentNs > 0 ? lastReplyNs : sentNs;
            long gapNs = Math.max(1, nowNs - startNs);
            replyGapNs = replyGapNs == 0 ? gapNs : replyGapNs + (gapNs - replyGapNs) / 8;
            lastReplyNs = nowNs;
        }

        /**
         * How many jobs to queue at the worker beyond its capacity: as many as it answers within
         * {@link #PREFETCH_WINDOW_NS}, at least 1, at most what it offered. Short jobs get a deep queue (fewer
         * round trips, batched wake-ups); a job of 2 ms or more gets one queued behind it, so that a slow job
         * never holds more than a window's worth of others that another worker could have run.
         */
        int effectivePrefetch() {
            if (prefetch <= 1 || replyGapNs == 0) {
                return Math.min(prefetch, 1);
            }
            return (int) Math.max(1, Math.min(prefetch, PREFETCH_WINDOW_NS / replyGapNs));
        }
    }
}
