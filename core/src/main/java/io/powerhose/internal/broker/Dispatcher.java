package io.powerhose.internal.broker;

import io.powerhose.ProtocolException;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.Command;
import io.powerhose.internal.protocol.Frames;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyStatus;
import io.powerhose.internal.runner.DistinctErrorLog;
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
 * The broker's state machine: the worker table, the job queue, routing, liveness and expiry, one retry of
 * retryable jobs whose worker is lost, and cancellation.
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
    /** Workers registering, leaving and lost: at most {@link #WORKER_LINES_PER_WINDOW} lines per 10 s. */
    private final LogBudget workerLog;
    private final BrokerCounters counters = new BrokerCounters();

    private final Map<RoutingId, WorkerEntry> workerByRoutingId = new LinkedHashMap<>();
    private final Map<Long, InFlightJob> inFlightByJobId = new HashMap<>();
    private final ArrayDeque<PendingJob> queue = new ArrayDeque<>();
    /** The v1 jobs the broker holds (queued or on a worker), so that a CANCEL finds its job. */
    private final Map<CallKey, PendingJob> jobByCall = new HashMap<>();
    /** Cancelled jobs still in {@link #queue}; they are skipped and removed lazily. */
    private int cancelledInQueue;
    private boolean dispatching;
    /** When each peer was last sent a refusal; bounded, so that refusals cost no unbounded memory. */
    private final Map<RoutingId, Long> refusedAtNsByRoutingId = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<RoutingId, Long> eldest) {
            return size() > MAX_REMEMBERED_REFUSALS;
        }
    };
    private final long startNs;
    /**
     * Job ids start at a random point so that a reply to a job of an earlier broker (one that was killed
     * while a worker ran the job) never matches a job of this one.
     */
    private long nextJobId = java.util.concurrent.ThreadLocalRandom.current().nextLong();
    private long nextBeatNs;
    private long nextLivenessCheckNs = Long.MAX_VALUE;
    private long nextQueueCheckNs = Long.MAX_VALUE;
    private long nextProbeNs = Long.MAX_VALUE;
    private int probesDone;
    private long noWorkersSinceNs;
    private boolean draining;
    private boolean workersChanged = true;
    private long dispatchCount;
    private long queuedBytes;

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
        this.workerLog = new LogBudget(LOG, "lines about workers registering, leaving or lost", WORKER_LINES_PER_WINDOW,
            WORKER_LOG_WINDOW_NS, nanoClock.getAsLong());
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
            onJob(new ClientRef(routingId, request.requestId(), null), request.payload(), request.timeoutMs(),
                request.retryable(), nowNs);
        } else if (message instanceof FrontendCodec.LegacyRequest legacy) {
            onJob(new ClientRef(routingId, null, legacy.envelope()), legacy.payload(), settings.legacyTimeoutMs(),
                false, nowNs);
        } else if (message instanceof FrontendCodec.Cancel cancel) {
            onCancel(routingId, cancel.requestId());
        } else if (message instanceof FrontendCodec.Ping ping) {
            outbox.toClient(routingId, FrontendCodec.pong(ping.requestId(), settings.brokerPid()));
        } else if (message instanceof FrontendCodec.LegacyPing ping) {
            outbox.toClient(routingId, FrontendCodec.legacyPong(ping.envelope(), settings.brokerPid()));
        } else if (message instanceof FrontendCodec.Status status) {
            outbox.toClient(routingId, FrontendCodec.statusReply(status.requestId(), statusText(nowNs)));
        }
    }

    /**
     * Answers what cannot be decoded, since the sender can always be addressed: INVALID with the request id as sent
     * for a v1 message, a 0.x error behind the envelope for a message that has one, and otherwise INVALID with an
     * empty request id.
     */
    private void rejectMalformedClientMessage(byte[] routingId, byte[][] frames, ProtocolException e) {
        counters.framesDropped++;
        errors.record("malformed message from a client: " + e.frame(),
            "client " + new RoutingId(routingId) + ": " + e.getMessage());
        byte[][] answer;
        byte[][] envelope = FrontendCodec.envelopeForError(frames);
        if (envelope != null) {
            answer = FrontendCodec.legacyReply(envelope, false, settings.brokerPid(),
                utf8("Invalid: " + e.getMessage()));
        } else {
            byte[] requestId = FrontendCodec.requestIdForError(frames);
            answer = FrontendCodec.reply(requestId != null ? requestId : Frames.EMPTY, ReplyStatus.INVALID,
                settings.brokerPid(), utf8(e.getMessage()));
        }
        if (!outbox.toClient(routingId, answer)) {
            counters.repliesUndeliverable++;
        }
    }

    private void onJob(ClientRef client, byte[] payload, long timeoutMs, boolean retryable, long nowNs) {
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
        PendingJob job = new PendingJob(client, payload, nowNs, deadlineNs, retryable);
        if (queuedCount() == 0) {
            WorkerEntry worker = leastLoadedWorker();
            if (worker != null) {
                hold(job);
                if (!dispatch(job, worker, nowNs)) {
                    dispatchQueued(nowNs); // it went back to the queue: try the next worker
                }
                return;
            }
        }
        if (queuedCount() >= settings.maxQueuedJobs() || queuedBytes + payload.length > settings.maxQueuedBytes()) {
            counters.jobsBusy++;
            answer(client, ReplyStatus.BUSY, settings.brokerPid(), utf8(Integer.toString(queuedCount())));
            return;
        }
        hold(job);
        enqueue(job, false);
        nextQueueCheckNs = Math.min(nextQueueCheckNs, Math.min(deadlineNs, noWorkerDeadlineNs(job)));
    }

    /** Indexes a v1 job by its call, for CANCEL. */
    private void hold(PendingJob job) {
        if (job.client.requestId() != null) {
            job.key = new CallKey(job.client.routingId(), job.client.requestId());
            jobByCall.put(job.key, job);
        }
    }

    /** Drops a job from the call index once it is answered (or will never be). */
    private void release(PendingJob job) {
        if (job.key != null) {
            jobByCall.remove(job.key, job);
        }
    }

    /**
     * The client no longer wants the job: a queued job is dropped and never runs; a job a worker holds runs, and its
     * result is discarded. Nothing is answered.
     */
    private void onCancel(byte[] routingId, byte[] requestId) {
        PendingJob job = jobByCall.remove(new CallKey(routingId, requestId));
        if (job == null) {
            counters.cancelsUnmatched++;
            return;
        }
        job.cancelled = true;
        if (job.jobId == NOT_SENT) {
            queuedBytes -= job.payload.length; // it stays in the queue, skipped, until removed lazily
            job.payload = null;
            counters.jobsCancelledQueued++;
            cancelledInQueue++;
            if (cancelledInQueue > 1024 && cancelledInQueue > queuedCount()) {
                queue.removeIf(queued -> queued.cancelled);
                cancelledInQueue = 0;
            }
        } else {
            job.payload = null;
            counters.jobsCancelledRunning++;
        }
    }

    /** @return the jobs waiting in the queue, cancelled ones not counted */
    private int queuedCount() {
        return queue.size() - cancelledInQueue;
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
            onMalformedWorkerMessage(routingId, frames, e);
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

    /**
     * What cannot be decoded is answered where the backend protocol has an answer: a malformed REPLY to a job the
     * worker holds fails that job at once (ERROR), a READY that cannot be accepted and any message from a peer that
     * is not registered get a DISCONNECT that says why (at most one per peer per heartbeat interval). Anything else
     * from a registered worker is dropped: the only answer left, DISCONNECT, would unregister it.
     */
    private void onMalformedWorkerMessage(byte[] routingId, byte[][] frames, ProtocolException e) {
        counters.framesDropped++;
        long nowNs = nanoClock.getAsLong();
        RoutingId key = new RoutingId(routingId);
        WorkerEntry worker = workerByRoutingId.get(key);
        errors.record("malformed message from a worker: " + e.frame(),
            (worker != null ? "worker pid " + worker.pid : "unregistered peer " + key) + ": " + e.getMessage());
        Command command = BackendCodec.commandOrNull(frames);
        if (command == Command.REPLY && worker != null && failMalformedReply(worker, frames, e, nowNs)) {
            return;
        }
        if (command == Command.READY) {
            refuse(key, "READY refused: " + e.getMessage(), nowNs);
            if (worker != null && !worker.leaving) {
                if (workerLog.allow(nowNs)) {
                    LOG.info("worker pid {} sent a READY that cannot be accepted: no new jobs for it", worker.pid);
                }
                startLeaving(worker);
            }
        } else if (worker == null) {
            refuse(key, "not registered (send READY first), and the message is malformed: " + e.getMessage(), nowNs);
        }
    }

    private boolean failMalformedReply(WorkerEntry worker, byte[][] frames, ProtocolException e, long nowNs) {
        if (frames.length < 3 || frames[2].length != 8) {
            return false;
        }
        long jobId = Frames.parseLongId(frames[2]);
        InFlightJob job = inFlightByJobId.get(jobId);
        if (job == null || job.worker != worker) {
            return false;
        }
        inFlightByJobId.remove(jobId);
        counters.jobsError++;
        finishJob(job, ReplyStatus.ERROR, utf8("io.powerhose.ProtocolException: worker pid " + worker.pid
            + " sent a malformed REPLY: " + e.getMessage()), nowNs);
        return true;
    }

    /** Sends a DISCONNECT that says why, unless this peer was sent one within the last heartbeat interval. */
    private void refuse(RoutingId key, String reason, long nowNs) {
        counters.refusals++;
        Long lastNs = refusedAtNsByRoutingId.get(key);
        if (lastNs != null && nowNs - lastNs < settings.heartbeatIntervalNs()) {
            return;
        }
        refusedAtNsByRoutingId.put(key, nowNs);
        outbox.toWorker(key.bytes(), BackendCodec.disconnect(reason));
    }

    private void onReady(RoutingId key, WorkerEntry known, BackendCodec.Ready ready, long nowNs) {
        int capacity = (int) Math.min(ready.capacity(), settings.maxWorkerCapacity());
        int prefetch = (int) Math.min(ready.prefetch(), settings.maxWorkerPrefetch());
        if (capacity != ready.capacity() || prefetch != ready.prefetch()) {
            counters.workersClamped++;
            errors.record("worker claimed more than the broker allows, clamped",
                "worker " + key + " (pid " + ready.pid() + "): capacity " + ready.capacity() + " -> " + capacity
                    + ", prefetch " + ready.prefetch() + " -> " + prefetch);
        }
        if (known != null) {
            known.capacity = capacity;
            known.prefetch = prefetch;
            if (known.leaving) {
                known.leaving = false;
                workersChanged = true;
            }
        } else {
            String label = label(ready.label());
            WorkerEntry worker = new WorkerEntry(key.bytes(), ready.pid(), capacity, label, nowNs);
            worker.prefetch = prefetch;
            workerByRoutingId.put(key, worker);
            workersChanged = true;
            if (workerLog.allow(nowNs)) {
                LOG.info("worker {} registered (pid {}, capacity {}{})", key, ready.pid(), capacity,
                    label.isEmpty() ? "" : ", " + label);
            }
            nextLivenessCheckNs = Math.min(nextLivenessCheckNs, nowNs + settings.livenessNs());
        }
        dispatchQueued(nowNs);
    }

    /**
     * The label as STATUS shows it: at most {@value #MAX_LABEL_CHARS} characters, each outside printable ASCII or a
     * {@code ,} or {@code =} (which STATUS lines use) replaced by {@code _}.
     */
    static String label(String label) {
        StringBuilder out = new StringBuilder(Math.min(label.length(), MAX_LABEL_CHARS));
        for (int i = 0; i < label.length() && out.length() < MAX_LABEL_CHARS; i++) {
            char c = label.charAt(i);
            out.append(c > 0x20 && c < 0x7f && c != ',' && c != '=' ? c : '_');
        }
        return out.toString();
    }

    private void onReply(WorkerEntry worker, byte[] routingId, BackendCodec.Reply reply, long nowNs) {
        InFlightJob inFlight = reply.jobId().length == 8
            ? inFlightByJobId.remove(Frames.parseLongId(reply.jobId())) : null;
        if (worker == null) {
            // A worker we do not know (we restarted, or we forgot it): tell it to register again.
            outbox.toWorker(routingId, BackendCodec.disconnect());
        }
        if (inFlight == null) {
            counters.lateReplies++;
            return;
        }
        PendingJob job = inFlight.job;
        inFlight.worker.onReply(inFlight.sentNs, nowNs);
        inFlight.worker.jobsDone++;
        if (job.cancelled) {
            inFlight.worker.inFlight.remove(inFlight.jobId);
            afterJobLeftWorker(inFlight.worker, nowNs);
            return;
        }
        if (reply.payload().length > settings.maxReplyBytes()) {
            counters.jobsError++;
            counters.repliesTooLarge++;
            finishJob(inFlight, ReplyStatus.ERROR, utf8("io.powerhose.ProtocolException: the result of "
                + reply.payload().length + " bytes is larger than the broker's maxReplyBytes="
                + settings.maxReplyBytes()), nowNs);
            return;
        }
        if (reply.ok()) {
            counters.jobsOk++;
        } else {
            counters.jobsError++;
        }
        finishJob(inFlight, reply.ok() ? ReplyStatus.OK : ReplyStatus.ERROR, reply.payload(), nowNs);
    }

    /** Answers a job its worker has finished (it is no longer in {@link #inFlightByJobId}) and routes the next. */
    private void finishJob(InFlightJob inFlight, ReplyStatus status, byte[] payload, long nowNs) {
        inFlight.worker.inFlight.remove(inFlight.jobId);
        release(inFlight.job);
        answer(inFlight.job.client, status, inFlight.worker.pid, payload);
        afterJobLeftWorker(inFlight.worker, nowNs);
    }

    private void afterJobLeftWorker(WorkerEntry worker, long nowNs) {
        if (worker.leaving && worker.inFlight.isEmpty()) {
            removeWorker(worker, "left");
        }
        dispatchQueued(nowNs);
    }

    private void onWorkerDisconnect(WorkerEntry worker, byte[] routingId) {
        outbox.toWorker(routingId, BackendCodec.disconnect());
        if (worker != null) {
            startLeaving(worker);
        }
    }

    /** No new jobs for the worker; it is removed once it has answered those it holds. */
    private void startLeaving(WorkerEntry worker) {
        if (worker.leaving) {
            return;
        }
        worker.leaving = true;
        workersChanged = true;
        if (workerLog.allow(nanoClock.getAsLong())) {
            LOG.info("worker pid {} is leaving ({} jobs to finish)", worker.pid, worker.inFlight.size());
        }
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
        if (dispatching) {
            return; // a worker removed while dispatching requeued jobs: the running loop sends them
        }
        dispatching = true;
        try {
            while (!queue.isEmpty()) {
                if (queue.peekFirst().cancelled) {
                    dequeue();
                    cancelledInQueue--;
                    continue;
                }
                WorkerEntry worker = leastLoadedWorker();
                if (worker == null) {
                    return;
                }
                dispatch(dequeue(), worker, nowNs);
            }
        } finally {
            dispatching = false;
        }
    }

    private void enqueue(PendingJob job, boolean first) {
        if (first) {
            queue.addFirst(job);
        } else {
            queue.addLast(job);
        }
        queuedBytes += job.payload.length;
    }

    /** Takes the head of the queue; a cancelled job's bytes were already given back when it was cancelled. */
    private PendingJob dequeue() {
        PendingJob job = queue.pollFirst();
        if (!job.cancelled) {
            queuedBytes -= job.payload.length;
        }
        return job;
    }

    private boolean dispatch(PendingJob job, WorkerEntry worker, long nowNs) {
        long jobId = nextJobId++;
        if (jobId == NOT_SENT) {
            jobId = nextJobId++;
        }
        long budgetMs = Math.max(0, (job.deadlineNs - nowNs) / 1_000_000);
        if (!outbox.toWorker(worker.routingId, BackendCodec.request(Frames.longId(jobId), budgetMs, job.payload))) {
            // Never reached the worker, so it did not run: route it again, and forget the worker.
            enqueue(job, true);
            removeWorker(worker, "unreachable");
            return false;
        }
        worker.inFlight.add(jobId);
        worker.lastDispatchSeq = ++dispatchCount;
        job.jobId = jobId;
        job.attempts++;
        if (!job.retryable) {
            job.payload = null; // only a retry would send it again
        }
        inFlightByJobId.put(jobId, new InFlightJob(jobId, job, worker, nowNs));
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
        workerLog.roll(nowNs);
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
        if (nowNs - nextProbeNs >= 0) {
            probeWorkers();
            nextProbeNs = probesDone < PROBE_DELAYS_NS.length ? nowNs + PROBE_DELAYS_NS[probesDone++] : Long.MAX_VALUE;
        }
        return Math.min(Math.min(nextBeatNs, nextLivenessCheckNs), Math.min(nextQueueCheckNs, nextProbeNs));
    }

    // ------------------------------------------------------------------------------------------ lost connections

    /**
     * Whether {@link #onTimer} will probe the workers (a repeat of {@link #onConnectionClosed}'s probe).
     *
     * @param nowNs the current time
     * @return true when a probe is due
     */
    public boolean probeDue(long nowNs) {
        return nowNs - nextProbeNs >= 0;
    }

    /**
     * A connection to the backend closed (the socket monitor said so): finds which worker it was by sending each
     * one a HEARTBEAT, which fails at once for a peer whose connection is gone (ROUTER_MANDATORY), and fails that
     * worker's jobs. libzmq may learn of the closed connection a moment after the event, so the probe is repeated
     * after {@link #PROBE_DELAYS_NS}. The caller reads every waiting worker message first (and before a due probe,
     * see {@link #probeDue}), so that a REPLY sent just before the close is counted, not lost.
     */
    public void onConnectionClosed() {
        counters.connectionsClosed++;
        probeWorkers();
        probesDone = 0;
        nextProbeNs = nanoClock.getAsLong() + PROBE_DELAYS_NS[probesDone++];
    }

    private void probeWorkers() {
        List<WorkerEntry> gone = new ArrayList<>();
        for (WorkerEntry worker : workerByRoutingId.values()) {
            if (!outbox.toWorker(worker.routingId, BackendCodec.heartbeat())) {
                gone.add(worker);
            }
        }
        for (WorkerEntry worker : gone) {
            removeWorker(worker, "connection closed");
        }
    }

    /**
     * The process of a worker has exited (its supervisor saw it): forgets every worker registered with that pid
     * and fails its jobs at once, even when its connection stays open (a child process that inherited the socket).
     * A worker on another host with the same pid would be forgotten too; it registers again on its next message.
     *
     * @param pid the pid of the process that exited
     */
    public void onWorkerProcessExited(long pid) {
        List<WorkerEntry> exited = new ArrayList<>();
        for (WorkerEntry worker : workerByRoutingId.values()) {
            if (worker.pid == pid) {
                exited.add(worker);
            }
        }
        for (WorkerEntry worker : exited) {
            removeWorker(worker, "process exited");
        }
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
            worker.leaving = true; // a retried job of one must not go to another that is about to be removed
        }
        for (WorkerEntry worker : silent) {
            removeWorker(worker, "silent for " + (nowNs - worker.lastSeenNs) / 1_000_000 + " ms");
        }
        nextLivenessCheckNs = next;
    }

    private void expireQueuedJobs(long nowNs) {
        long next = Long.MAX_VALUE;
        boolean noWorker = !hasActiveWorker();
        for (Iterator<PendingJob> it = queue.iterator(); it.hasNext(); ) {
            PendingJob job = it.next();
            if (job.cancelled) {
                it.remove();
                cancelledInQueue--;
            } else if (nowNs - job.deadlineNs >= 0) {
                it.remove();
                queuedBytes -= job.payload.length;
                release(job);
                counters.jobsExpired++;
                answer(job.client, ReplyStatus.EXPIRED, settings.brokerPid(),
                    utf8("waited " + (nowNs - job.arrivalNs) / 1_000_000
                        + " ms in the broker queue, past its timeout"));
            } else if (noWorker && nowNs - noWorkerDeadlineNs(job) >= 0) {
                it.remove();
                queuedBytes -= job.payload.length;
                release(job);
                counters.jobsNoWorker++;
                answer(job.client, ReplyStatus.NO_WORKER, settings.brokerPid(), utf8("No worker"));
            } else {
                next = Math.min(next, noWorker ? Math.min(job.deadlineNs, noWorkerDeadlineNs(job)) : job.deadlineNs);
            }
        }
        nextQueueCheckNs = next;
    }

    private long noWorkerDeadlineNs(PendingJob job) {
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
        boolean logged = workerLog.allow(nanoClock.getAsLong());
        if (!worker.inFlight.isEmpty()) {
            counters.workersLost++;
            if (logged) {
                LOG.warn("worker pid {} lost ({}): failing its {} job(s)", worker.pid, why, worker.inFlight.size());
            }
        } else if (logged) {
            LOG.info("worker pid {} removed ({})", worker.pid, why);
        }
        List<PendingJob> retries = new ArrayList<>();
        for (long jobId : worker.inFlight) {
            InFlightJob inFlight = inFlightByJobId.remove(jobId);
            if (inFlight == null || inFlight.job.cancelled) {
                continue;
            }
            PendingJob job = inFlight.job;
            if (job.retryable && job.attempts < MAX_ATTEMPTS && !draining) {
                job.lostWorkerPid = worker.pid;
                job.jobId = NOT_SENT;
                retries.add(job);
                continue;
            }
            counters.jobsWorkerLost++;
            release(job);
            String text = "worker pid " + worker.pid + " lost (" + why + ") while running the job";
            if (job.retryable && job.attempts >= MAX_ATTEMPTS) {
                text += "; not retried again: this retryable job already lost worker pid " + job.lostWorkerPid
                    + ", and a job that loses two workers may be what kills them (poison-job cap)";
            }
            answer(job.client, ReplyStatus.WORKER_LOST, worker.pid, utf8(text));
        }
        worker.inFlight.clear();
        if (!hasActiveWorker()) {
            noWorkersSinceNs = nanoClock.getAsLong();
            nextQueueCheckNs = Math.min(nextQueueCheckNs, noWorkersSinceNs + settings.noWorkerGraceNs());
        }
        if (!retries.isEmpty()) {
            // At the head of the queue, in the order they were sent, with what is left of their deadline.
            long nowNs = nanoClock.getAsLong();
            for (int i = retries.size() - 1; i >= 0; i--) {
                PendingJob job = retries.get(i);
                enqueue(job, true);
                nextQueueCheckNs = Math.min(nextQueueCheckNs, Math.min(job.deadlineNs, noWorkerDeadlineNs(job)));
            }
            counters.jobsRetried += retries.size();
            LOG.info("retrying {} retryable job(s) of lost worker pid {} on other workers", retries.size(), worker.pid);
            dispatchQueued(nowNs);
        }
    }

    // ------------------------------------------------------------------------------------------ stopping

    /** Stops taking jobs: queued ones are answered NO_WORKER now, in-flight ones may still finish. */
    public void startDraining() {
        draining = true;
        while (!queue.isEmpty()) {
            PendingJob job = dequeue();
            if (!job.cancelled) {
                release(job);
                answer(job.client, ReplyStatus.NO_WORKER, settings.brokerPid(), utf8("broker stopping"));
            }
        }
        cancelledInQueue = 0;
    }

    /** @return the number of jobs running on workers */
    public int inFlightCount() {
        return inFlightByJobId.size();
    }

    /** Fails every job still running, and tells every worker to register again with the next broker. */
    public void abandonAll() {
        for (InFlightJob inFlight : inFlightByJobId.values()) {
            if (!inFlight.job.cancelled) {
                answer(inFlight.job.client, ReplyStatus.WORKER_LOST, inFlight.worker.pid,
                    utf8("broker stopped before worker pid " + inFlight.worker.pid + " replied"));
            }
        }
        inFlightByJobId.clear();
        jobByCall.clear();
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
        out.append("queued=").append(queuedCount()).append('\n');
        out.append("queued_bytes=").append(queuedBytes).append('\n');
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

    /** A job the broker holds until it answers it: queued, then on a worker (then maybe queued again, once). */
    private static final class PendingJob {
        final ClientRef client;
        final long arrivalNs;
        final long deadlineNs;
        final boolean retryable;
        /** Kept while it may still be sent: until dispatched, or for ever (until answered) when retryable. */
        byte[] payload;
        CallKey key;
        /** The id of the job on its current worker, or {@link #NOT_SENT}. */
        long jobId = NOT_SENT;
        int attempts;
        long lostWorkerPid;
        boolean cancelled;

        PendingJob(ClientRef client, byte[] payload, long arrivalNs, long deadlineNs, boolean retryable) {
            this.client = client;
            this.payload = payload;
            this.arrivalNs = arrivalNs;
            this.deadlineNs = deadlineNs;
            this.retryable = retryable;
        }
    }

    private record InFlightJob(long jobId, PendingJob job, WorkerEntry worker, long sentNs) {
    }

    /** The job id that is never given to a job, marking one that is not on a worker. */
    private static final long NOT_SENT = 0;
    /** A retryable job is sent to at most this many workers (the poison-job cap). */
    static final int MAX_ATTEMPTS = 2;

    /** The work, in estimated time, that may wait at a worker beyond the jobs it runs. */
    static final long PREFETCH_WINDOW_NS = 2_000_000;
    /** After a closed connection, the workers are probed at once, then again after each of these delays. */
    static final long[] PROBE_DELAYS_NS = {2_000_000, 20_000_000, 200_000_000};
    /** The longest worker label kept. */
    static final int MAX_LABEL_CHARS = 64;
    private static final int MAX_REMEMBERED_REFUSALS = 1024;
    static final int WORKER_LINES_PER_WINDOW = 100;
    static final long WORKER_LOG_WINDOW_NS = 10_000_000_000L;

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
