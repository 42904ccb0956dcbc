package io.powerhose.internal.worker;

import io.powerhose.JobHandler;
import io.powerhose.ProtocolException;
import io.powerhose.WorkerOptions;
import io.powerhose.internal.Durations;
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
    private final long pid = ProcessHandle.current().pid();
    private final long timeoutNs;
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
    private ZMQ.Socket dealer;
    private ZMQ.Socket beat;
    private Monitor monitor;
    private ZMQ.Poller poller;
    private int dealerItem;
    private int wakeItem;
    private BeatWatch beatWatch;
    private long maxAgeAtNs;
    private long nextHeartbeatNs;
    private long nextCheckNs;
    /** Jobs accepted and not answered yet: queued or running. */
    private int held;
    private boolean connected;
    private boolean leaving;
    private boolean leaveAcknowledged;
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
        this.timeoutNs = options.timeout().toNanos();
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
        Security security = Security.client(options.curveServerKey(), options.curveKey());
        dealer = security.apply(Sockets.create(context, ZMQ.DEALER, 0));
        monitor = new Monitor(context, dealer, options.backend(), security);
        dealer.connect(options.backend());
        beat = security.apply(Sockets.create(context, ZMQ.SUB, 0));
        beat.subscribe(new byte[0]);
        beat.connect(options.heartbeat());
        // Only the DEALER and the wake-up pipe are polled: each ZeroMQ socket in a zmq_poll costs two system calls
        // per pass, and the beats (one a second) and the connection's events are read every CHECK_NS.
        poller = new ZMQ.Poller(2);
        dealerItem = poller.register(dealer, ZMQ.Poller.POLLIN);
        wakeItem = wakeup.register(poller);
        long startNs = nanoClock.getAsLong();
        beatWatch = new BeatWatch(startNs, 0, options.pingDelay().toNanos(), options.pingRetries());
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
        if (poller.pollin(dealerItem)) {
            drainBroker();
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
            drainBeats();
            onMonitorEvents();
            nextCheckNs = nowNs + CHECK_NS;
        }
        if (nowNs - nextHeartbeatNs >= 0) {
            Sockets.send(dealer, null, BackendCodec.heartbeat());
            nextHeartbeatNs = nowNs + options.heartbeatInterval().toNanos();
        }
        expireJobs(nowNs);
        if (!leaving && nowNs - maxAgeAtNs >= 0) {
            LOG.info("max age reached: leaving once the jobs held are answered");
            startLeaving(Exit.MAX_AGE);
        }
        if (beatWatch.isLost(nowNs)) {
            drainBeats();
            if (beatWatch.isLost(nowNs)) {
                LOG.warn("no beat from the broker at {} for {} x {}: quitting", options.heartbeat(),
                    options.pingRetries(), options.pingDelay());
                ending = Exit.BEAT_LOST;
            }
        }
        if (jobThreadFailure != null) {
            LOG.error("a job thread died: the worker ends (its supervisor starts a new one)", jobThreadFailure);
            ending = Exit.FAILED;
        }
        if (leaving && held == 0 && ending == null
            && (leaveAcknowledged || !connected || nowNs - (leaveStartNs + LEAVE_ACK_WAIT_NS) >= 0)) {
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
            if (dealer != null) {
                withdrawQueued(result);
                // What was sent must leave: the last REPLYs, the DISCONNECT; not when no broker reads them any more.
                boolean brokerGone = !connected || result == Exit.BEAT_LOST || (leaving && !leaveAcknowledged);
                dealer.setLinger(brokerGone ? 0 : CLOSE_LINGER_MS);
            }
            stopJobThreads();
            if (monitor != null) {
                monitor.close();
            }
            Sockets.close(beat);
            Sockets.close(dealer);
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
        Sockets.send(dealer, null, BackendCodec.disconnect());
    }

    private void drainBroker() {
        int count;
        while ((count = Sockets.receiveBatch(dealer, inbox, inbox.length)) > 0) {
            for (int i = 0; i < count; i++) {
                byte[][] frames = inbox[i];
                inbox[i] = null;
                onBrokerMessage(frames);
            }
        }
    }

    private void onBrokerMessage(byte[][] frames) {
        BackendCodec.FromBroker message;
        try {
            message = BackendCodec.decodeFromBroker(frames);
        } catch (ProtocolException e) {
            LOG.warn("malformed message from the broker: {}", e.getMessage());
            if (frames.length >= 3 && frames[2].length > 0 && frames[2].length <= Frames.MAX_ID_BYTES) {
                reply(frames[2], false, utf8("malformed REQUEST: " + e.getMessage()));
            }
            return;
        }
        if (message instanceof BackendCodec.Request request) {
            onRequest(request);
        } else if (message instanceof BackendCodec.Disconnect disconnect) {
            if (leaving) {
                leaveAcknowledged = true;
            } else {
                LOG.info("the broker does not know this worker (it restarted, stopped, or forgot it{}): "
                    + "registering again", disconnect.reason().isEmpty() ? "" : "; it said: " + disconnect.reason());
                sendReady();
            }
        }
    }

    private void onRequest(BackendCodec.Request request) {
        if (request.payload().length > options.maxJobBytes()) {
            reply(request.jobId(), false, utf8("job too large: " + request.payload().length + " > "
                + options.maxJobBytes() + " bytes"));
        } else if (held >= maxHeld) {
            // The broker never sends more (docs/PROTOCOL.md); a peer that does is told at once, as by the C and
            // Python workers, instead of growing a queue without bound.
            reply(request.jobId(), false, utf8("worker busy: capacity " + options.capacity() + ", prefetch "
                + options.prefetch()));
        } else {
            held++;
            todo.offer(new JobTask(request.jobId(), request.budgetMs(), request.payload(), nanoClock.getAsLong()));
        }
    }

    /** Sends the answers the job threads handed back. */
    private void sendAnswers() {
        JobTask task;
        while ((task = done.poll()) != null) {
            held--;
            reply(task.jobId, task.ok, task.result);
        }
    }

    private long nextJobTimeoutNs() {
        long next = Long.MAX_VALUE;
        for (JobRunner runner : runners) {
            JobTask task = runner.current();
            if (task != null) {
                next = Math.min(next, task.startNs() + timeoutNs);
            }
        }
        return next;
    }

    /** Answers each job past the timeout and puts a new job thread in place of the one still running it. */
    private void expireJobs(long nowNs) {
        for (int i = 0; i < runners.length; i++) {
            JobTask task = runners[i].current();
            if (task == null || nowNs - (task.startNs() + timeoutNs) < 0 || !task.abandon()) {
                continue;
            }
            String text = "job timed out after " + Durations.text(options.timeout()) + " in worker " + pid
                + "; its result will not be sent";
            LOG.error("{}. Thread stacks:{}", text, allStacks());
            reply(task.jobId, false, utf8(text));
            held--;
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
                reply(task.jobId, false, utf8("job not run: the worker is exiting (" + result + ")"));
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

    private void sendReady() {
        Sockets.send(dealer, null, BackendCodec.ready(pid, options.capacity(), LABEL, options.prefetch()));
    }

    private void onMonitorEvents() {
        int event;
        while ((event = monitor.poll()) != 0) {
            if (event == Monitor.EVENT_CONNECTED) {
                connected = true;
                if (!leaving) {
                    LOG.debug("connected to {}: registering", options.backend());
                    sendReady();
                }
            } else if (event == Monitor.EVENT_DISCONNECTED) {
                connected = false;
            }
        }
    }

    private void drainBeats() {
        while (Sockets.receive(beat).length > 0) {
            beatWatch.onBeat(nanoClock.getAsLong());
        }
    }

    private void reply(byte[] jobId, boolean ok, byte[] payload) {
        Sockets.send(dealer, null, BackendCodec.reply(jobId, ok, payload));
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
