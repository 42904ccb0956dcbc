package io.powerhose.internal.worker;

import io.powerhose.JobHandler;
import io.powerhose.ProtocolException;
import io.powerhose.WorkerOptions;
import io.powerhose.internal.Durations;
import io.powerhose.internal.metrics.Metrics;
import io.powerhose.internal.metrics.WorkerMetrics;
import io.powerhose.internal.process.Hostname;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.Frames;
import io.powerhose.internal.runner.Loop;
import io.powerhose.internal.runner.LoopRunner;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * The worker's socket thread ({@code powerhose-worker}): it owns the DEALER to the broker's backend, the SUB to its
 * beat, a monitor of the DEALER's connection, the jobs the worker holds and the timers, and never runs a job.
 * Jobs run on {@code powerhose-job-N} threads ({@link JobRunner}, one per unit of capacity), which own no socket:
 * this thread queues each accepted REQUEST for them ({@code todo}, a queue whose idle takers wait for the next job),
 * and they queue each answered job back ({@code done}) and wake this thread's poll ({@link Wakeup}). So a job that
 * runs long never keeps this thread from heartbeating, reading the beat, or answering the job's own timeout.
 *
 * <p>It registers (READY on every connection), heartbeats every interval, refuses REQUESTs beyond
 * {@code capacity + prefetch} ("worker busy"), answers a job that passes the timeout (and starts a new job thread in
 * place of the one still running it), leaves gracefully (DISCONNECT, answer every job held, then close with a linger
 * so that the last REPLY leaves), and quits when the broker's beat is lost or a job thread dies of an
 * {@link Error}. Other threads only call {@link #requestLeave()} and read {@link #exit()}.
 *
 * <p>Given several brokers, it has one {@link BackendLink} (DEALER, SUB, monitor, beat watch) per broker, all owned by
 * this thread: it registers with each, takes jobs from each, and answers each job on the link it came from. The job
 * threads are shared, so the worker runs at most {@code capacity} jobs at once in all; each broker may hold up to
 * {@code capacity + prefetch} jobs on it, the rest waiting in the worker's queue. A broker whose connection drops
 * loses the jobs it had queued here (they are withdrawn, not run); the worker quits for a lost beat only when every
 * broker's beat is lost (docs/PROTOCOL.md, "Several brokers").
 */
public final class WorkerConductor implements Loop {
    /** Why the worker ended. */
    public enum Exit { STOPPED, MAX_AGE, BEAT_LOST, FAILED }

    private static final Logger LOG = LoggerFactory.getLogger(WorkerConductor.class);
    /** How long a leaving worker waits for the broker's DISCONNECT answer once it holds no job. */
    private static final long LEAVE_ACK_WAIT_NS = 5_000_000_000L;
    /** How long closing the DEALER may take to send what is queued (the last REPLY, DISCONNECT). */
    private static final int CLOSE_LINGER_MS = 2_000;
    /** READY's label: language and host (docs/PROTOCOL.md). */
    private static final String LABEL = Hostname.workerLabel("java");
    /** How often the broker's beats and the connection's events are read (they are not polled). */
    private static final long CHECK_NS = 100_000_000L;

    private final WorkerOptions options;
    private final JobHandler handler;
    private final LongSupplier nanoClock;
    /** Metrics: the handler's runs are recorded by the handler itself (Worker wraps it); timeouts here. */
    private final WorkerMetrics metrics;
    private final long pid = ProcessHandle.current().pid();
    private final long runLimitNs;
    private final int maxHeld;
    private final Wakeup wakeup = new Wakeup();
    private final LinkedTransferQueue<JobTask> todo = new LinkedTransferQueue<>();
    private final Queue<JobTask> done = new ConcurrentLinkedQueue<>();
    private final byte[][][] inbox = new byte[64][][];
    private final JobRunner[] runners;
    private final LoopRunner[] threads;
    private volatile boolean leaveRequested;
    private volatile Throwable jobThreadFailure;
    private volatile Exit exit;

    private ZMQ.Context context;
    private BackendLink[] links = new BackendLink[0];
    private int[] dealerItems;
    private ZMQ.Poller poller;
    private int wakeItem;
    private long maxAgeAtNs;
    private long nextHeartbeatNs;
    private long nextCheckNs;
    /** Jobs accepted and not answered yet, from every broker: queued or running. */
    private int held;
    private boolean leaving;
    private long leaveStartNs;
    private Exit leaveReason = Exit.STOPPED;
    /** Set when the loop is to end, and why. */
    private Exit ending;

    /**
     * Creates the conductor; a {@link LoopRunner} runs it.
     *
     * @param options the settings
     * @param handler the job handler
     * @param nanoClock the clock
     */
    public WorkerConductor(WorkerOptions options, JobHandler handler, LongSupplier nanoClock) {
        this.options = options;
        this.handler = handler;
        this.nanoClock = nanoClock;
        this.metrics = Metrics.worker(options.meterRegistry());
        this.runLimitNs = options.timeout().toNanos();
        this.maxHeld = options.capacity() + options.prefetch();
        this.runners = new JobRunner[options.capacity()];
        this.threads = new LoopRunner[options.capacity()];
    }

    /** Asks the worker to leave gracefully: DISCONNECT, answer the jobs it holds, then stop. Any thread. */
    public void requestLeave() {
        leaveRequested = true;
        wakeup.wake();
    }

    @Override
    public void requestStop() {
        requestLeave();
    }

    /** @return why the worker ended, once its sockets are closed; null while it runs (any thread) */
    public Exit exit() {
        return exit;
    }

    @Override
    public void onStart() {
        context = ZMQ.context(1);
        long startNs = nanoClock.getAsLong();
        int count = options.backends().size();
        links = new BackendLink[count];
        dealerItems = new int[count];
        // Only the DEALERs and the wake-up pipe are polled: each ZeroMQ socket in a zmq_poll costs two system calls
        // per pass, and the beats (one a second) and the connections' events are read every CHECK_NS.
        poller = new ZMQ.Poller(count + 1);
        Security security = Security.client(options.curveServerKey(), options.curveKey());
        for (int i = 0; i < count; i++) {
            links[i] = new BackendLink(i, context, options.backends().get(i), options.heartbeats().get(i),
                new BeatWatch(startNs, 0, options.pingDelay().toNanos(), options.pingRetries()), security);
            dealerItems[i] = poller.register(links[i].dealer, ZMQ.Poller.POLLIN);
        }
        wakeItem = wakeup.register(poller);
        maxAgeAtNs = maxAgeDeadline(startNs);
        nextHeartbeatNs = startNs + options.heartbeatInterval().toNanos();
        nextCheckNs = startNs;
        for (int i = 0; i < runners.length; i++) {
            startJobThread(i);
        }
    }

    @Override
    public void doWork() {
        long nowNs = nanoClock.getAsLong();
        long nextNs = Math.min(Math.min(nextHeartbeatNs, nextCheckNs), Math.min(maxAgeAtNs, nextJobTimeoutNs()));
        if (leaving) {
            nextNs = Math.min(nextNs, leaveStartNs + LEAVE_ACK_WAIT_NS);
        }
        Sockets.poll(poller, Sockets.pollTimeoutMs(nextNs - nowNs));
        if (poller.pollin(wakeItem)) {
            wakeup.clear();
        }
        for (int i = 0; i < links.length; i++) {
            if (poller.pollin(dealerItems[i])) {
                drainBroker(links[i]);
            }
        }
        sendAnswers();
    }

    @Override
    public void onTimers() {
        long nowNs = nanoClock.getAsLong();
        if (leaveRequested && !leaving) {
            startLeaving(Exit.STOPPED);
        }
        if (nowNs - nextCheckNs >= 0) {
            for (BackendLink link : links) {
                drainBeats(link);
                onMonitorEvents(link);
            }
            nextCheckNs = nowNs + CHECK_NS;
        }
        if (nowNs - nextHeartbeatNs >= 0) {
            for (BackendLink link : links) {
                Sockets.send(link.dealer, null, BackendCodec.heartbeat());
            }
            nextHeartbeatNs = nowNs + options.heartbeatInterval().toNanos();
        }
        expireJobs(nowNs);
        if (!leaving && nowNs - maxAgeAtNs >= 0) {
            LOG.info("max age reached: leaving once the jobs held are answered");
            startLeaving(Exit.MAX_AGE);
        }
        checkBeats(nowNs);
        if (jobThreadFailure != null) {
            LOG.error("a job thread died: the worker ends (its supervisor starts a new one)", jobThreadFailure);
            ending = Exit.FAILED;
        }
        if (leaving && held == 0 && ending == null
            && (allLeavesAcknowledged() || nowNs - (leaveStartNs + LEAVE_ACK_WAIT_NS) >= 0)) {
            ending = leaveReason;
        }
    }

    @Override
    public boolean isDone() {
        return ending != null;
    }

    @Override
    public void onClose() {
        Exit result = ending != null ? ending : Exit.FAILED;
        try {
            if (links.length > 0) {
                withdrawQueued(result);
            }
            for (BackendLink link : links) {
                // What was sent must leave: the last REPLYs, the DISCONNECT; not when no broker reads them any more.
                link.setLinger(!link.connected || link.beatLost || result == Exit.BEAT_LOST
                    || (leaving && !link.leaveAcknowledged), CLOSE_LINGER_MS);
            }
            stopJobThreads();
            for (BackendLink link : links) {
                link.close();
            }
            if (context != null) {
                context.term(); // job threads own no socket: an abandoned one never holds this up
            }
        } finally {
            wakeup.close();
            exit = result;
        }
    }

    private void startLeaving(Exit reason) {
        leaving = true;
        leaveReason = reason;
        leaveStartNs = nanoClock.getAsLong();
        for (BackendLink link : links) {
            Sockets.send(link.dealer, null, BackendCodec.disconnect());
        }
    }

    /** @return true when every broker still connected has answered the worker's DISCONNECT */
    private boolean allLeavesAcknowledged() {
        for (BackendLink link : links) {
            if (link.connected && !link.leaveAcknowledged) {
                return false;
            }
        }
        return true;
    }

    /**
     * Quits when the beat is lost: of the one broker, or with several, of every broker at once. With several, a
     * broker whose beat is lost is logged once, and the worker serves the others until it comes back.
     */
    private void checkBeats(long nowNs) {
        int lost = 0;
        for (BackendLink link : links) {
            if (link.beatWatch.isLost(nowNs)) {
                drainBeats(link);
            }
            if (link.beatWatch.isLost(nowNs)) {
                lost++;
                if (!link.beatLost && links.length > 1) {
                    LOG.warn("no beat from the broker at {} for {} x {}: serving the other broker(s) until it is"
                        + " back", link.heartbeat, options.pingRetries(), options.pingDelay());
                }
                link.beatLost = true;
            }
        }
        if (lost == links.length) {
            LOG.warn("no beat from the broker{} at {} for {} x {}: quitting", links.length > 1 ? "s" : "",
                options.heartbeat(), options.pingRetries(), options.pingDelay());
            ending = Exit.BEAT_LOST;
        }
    }

    private void drainBroker(BackendLink link) {
        int count;
        while ((count = Sockets.receiveBatch(link.dealer, inbox, inbox.length)) > 0) {
            for (int i = 0; i < count; i++) {
                byte[][] frames = inbox[i];
                inbox[i] = null;
                onBrokerMessage(link, frames);
            }
        }
    }

    private void onBrokerMessage(BackendLink link, byte[][] frames) {
        BackendCodec.FromBroker message;
        try {
            message = BackendCodec.decodeFromBroker(frames);
        } catch (ProtocolException e) {
            LOG.warn("malformed message from the broker: {}", e.getMessage());
            if (frames.length >= 3 && frames[2].length > 0 && frames[2].length <= Frames.MAX_ID_BYTES) {
                reply(link, frames[2], false, utf8("malformed REQUEST: " + e.getMessage()));
            }
            return;
        }
        if (message instanceof BackendCodec.Request request) {
            onRequest(link, request);
        } else if (message instanceof BackendCodec.Disconnect disconnect) {
            if (leaving) {
                link.leaveAcknowledged = true;
            } else {
                LOG.info("the broker at {} does not know this worker (it restarted, stopped, or forgot it{}): "
                    + "registering again", link, disconnect.reason().isEmpty() ? "" : "; it said: "
                    + disconnect.reason());
                sendReady(link);
            }
        }
    }

    private void onRequest(BackendLink link, BackendCodec.Request request) {
        if (request.payload().length > options.maxJobBytes()) {
            reply(link, request.jobId(), false, utf8("job too large: " + request.payload().length + " > "
                + options.maxJobBytes() + " bytes"));
        } else if (link.held >= maxHeld) {
            // The broker never sends more (docs/PROTOCOL.md); a peer that does is told at once, as by the C and
            // Python workers, instead of growing a queue without bound. The bound is per broker: each broker
            // holds up to capacity + prefetch jobs here, and the job threads run capacity of them at once in all.
            reply(link, request.jobId(), false, utf8("worker busy: capacity " + options.capacity() + ", prefetch "
                + options.prefetch()));
        } else {
            held++;
            link.held++;
            todo.offer(new JobTask(link, request.jobId(), request.budgetMs(), request.payload(),
                nanoClock.getAsLong()));
        }
    }

    /** Sends the answers the job threads handed back, each to the broker that sent its job. */
    private void sendAnswers() {
        JobTask task;
        while ((task = done.poll()) != null) {
            release(task);
            reply(task.link, task.jobId, task.ok, task.result);
        }
    }

    /** The task is answered or withdrawn: it no longer counts against the worker or its broker. */
    private void release(JobTask task) {
        held--;
        task.link.held--;
    }

    private long nextJobTimeoutNs() {
        long next = Long.MAX_VALUE;
        for (JobRunner runner : runners) {
            JobTask task = runner.current();
            if (task != null) {
                next = Math.min(next, task.startNs() + runLimitNs);
            }
        }
        return next;
    }

    /** Answers each job past the timeout and puts a new job thread in place of the one still running it. */
    private void expireJobs(long nowNs) {
        for (int i = 0; i < runners.length; i++) {
            JobTask task = runners[i].current();
            if (task == null || nowNs - (task.startNs() + runLimitNs) < 0 || !task.abandon()) {
                continue;
            }
            String text = "job timed out after " + Durations.text(options.timeout()) + " in worker " + pid
                + "; its result will not be sent";
            LOG.error("{}. Thread stacks:{}", text, allStacks());
            reply(task.link, task.jobId, false, utf8(text));
            metrics.onJobTimedOut();
            release(task);
            threads[i].interrupt();
            startJobThread(i);
        }
    }

    private void startJobThread(int index) {
        JobRunner runner = new JobRunner(handler, todo, this::onAnswered, nanoClock);
        LoopRunner thread = new LoopRunner(ThreadRole.JOB, Integer.toString(index), runner, LOG);
        thread.ended().whenComplete((ignored, error) -> {
            if (error != null) {
                jobThreadFailure = error;
                wakeup.wake();
            }
        });
        runners[index] = runner;
        threads[index] = thread;
        thread.start();
    }

    /** A job thread hands an answered task back. Job threads. */
    private void onAnswered(JobTask task) {
        done.offer(task);
        wakeup.wake();
    }

    /** Answers the jobs no job thread has started: the worker exits before it could run them. */
    private void withdrawQueued(Exit result) {
        JobTask task;
        int count = 0;
        while ((task = todo.poll()) != null) {
            if (task != JobRunner.STOP && task.withdraw()) {
                release(task);
                reply(task.link, task.jobId, false, utf8("job not run: the worker is exiting (" + result + ")"));
                count++;
            }
        }
        if (count > 0) {
            LOG.warn("answered {} queued job(s) ERROR: the worker is exiting ({})", count, result);
        }
        sendAnswers();
    }

    private void stopJobThreads() {
        for (LoopRunner thread : threads) {
            if (thread != null) {
                thread.requestStop(); // one STOP each, taken once its job (if any) returns
            }
        }
        for (int i = 0; i < threads.length; i++) {
            if (threads[i] != null && runners[i].current() == null) {
                threads[i].awaitEnd(1_000_000_000L); // one still in a job is a daemon: it does not hold the process
            }
        }
    }

    /** Registers with one broker; each is told the whole capacity and prefetch (docs/PROTOCOL.md). */
    private void sendReady(BackendLink link) {
        Sockets.send(link.dealer, null, BackendCodec.ready(pid, options.capacity(), LABEL, options.prefetch()));
    }

    private void onMonitorEvents(BackendLink link) {
        int event;
        while ((event = link.monitor.poll()) != 0) {
            if (event == Monitor.EVENT_CONNECTED) {
                link.connected = true;
                if (!leaving) {
                    LOG.debug("connected to {}: registering", link);
                    sendReady(link);
                }
            } else if (event == Monitor.EVENT_DISCONNECTED) {
                link.connected = false;
                withdrawQueuedOf(link);
            }
        }
    }

    /**
     * Drops the jobs of a broker whose connection dropped that no job thread has started: that broker has failed
     * them already (its connection to this worker is gone), so running them would only delay the jobs of the
     * other brokers. Jobs running go on; their answers are sent and dropped as late by whichever broker gets them.
     */
    private void withdrawQueuedOf(BackendLink link) {
        int count = 0;
        for (JobTask task : todo) {
            if (task.link == link && task.withdraw()) {
                release(task);
                count++;
            }
        }
        if (count > 0) {
            LOG.warn("lost the connection to the broker at {}: dropped {} job(s) of it not started yet", link, count);
        }
    }

    private void drainBeats(BackendLink link) {
        if (link.drainBeats(nanoClock.getAsLong()) && link.beatLost) {
            link.beatLost = false;
            LOG.info("the beat of the broker at {} is back", link.heartbeat);
        }
    }

    private void reply(BackendLink link, byte[] jobId, boolean ok, byte[] payload) {
        Sockets.send(link.dealer, null, BackendCodec.reply(jobId, ok, payload));
    }

    private long maxAgeDeadline(long startNs) {
        if (options.maxAge() == null) {
            return Long.MAX_VALUE;
        }
        long deltaNs = options.maxAgeDelta().toNanos();
        long extraNs = deltaNs > 0 ? ThreadLocalRandom.current().nextLong(deltaNs + 1) : 0;
        return startNs + options.maxAge().toNanos() + extraNs;
    }

    private static String allStacks() {
        StringBuilder out = new StringBuilder(4096);
        for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
            out.append("\n\"").append(entry.getKey().getName()).append("\" ").append(entry.getKey().getState());
            for (StackTraceElement element : entry.getValue()) {
                out.append("\n\tat ").append(element);
            }
        }
        return out.toString();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
