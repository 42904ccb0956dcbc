package io.powerhose.internal.worker;

import io.powerhose.internal.Durations;
import io.powerhose.JobHandler;
import io.powerhose.ProtocolException;
import io.powerhose.WorkerOptions;
import io.powerhose.internal.process.Hostname;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.Frames;
import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The worker's loop: it owns the DEALER to the broker's backend and the SUB to its heartbeat, registers (READY
 * on every connection), heartbeats every interval whatever the jobs do, enforces the job timeout and the max
 * age, and quits when the broker's beat is lost. Other threads only call {@link #requestLeave()}.
 *
 * <p>With capacity 1 it runs each job inline, on the thread that owns the sockets, so that a short job costs no
 * thread hand-off. Ownership of the sockets is {@link #sockets}, a lock held by the loop and released only while
 * a job runs. A watchdog thread ({@code powerhose-watchdog}) takes it while a job runs long: it heartbeats and
 * reads the broker's beats; when the job passes the timeout it answers ERROR, abandons the job's thread and
 * carries on the loop itself, so the worker keeps serving. With capacity above 1, each slot has a
 * {@link JobRunner} thread fed over an inproc PAIR.
 */
public final class WorkerConductor implements Runnable {
    /** Why the worker ended. */
    public enum Exit { STOPPED, MAX_AGE, BEAT_LOST, FAILED }

    private static final Logger LOG = LoggerFactory.getLogger(WorkerConductor.class);
    private static final AtomicLong INSTANCES = new AtomicLong();
    private static final long LEAVE_ACK_WAIT_NS = 5_000_000_000L;
    /** READY's label: language and host (docs/PROTOCOL.md). */
    private static final String LABEL = Hostname.workerLabel("java");
    private static final long MIN_WATCH_NS = 10_000_000L;
    /** How often the broker's beats and the connection's events are read (they are not polled). */
    private static final long CHECK_NS = 100_000_000L;

    private final WorkerOptions options;
    private final JobHandler handler;
    private final LongSupplier nanoClock;
    private final long pid = ProcessHandle.current().pid();
    private final String instance = pid + "-" + INSTANCES.incrementAndGet();
    private final Wakeup wakeup = new Wakeup();
    private final ArrayDeque<byte[][]> waitingJobs = new ArrayDeque<>();
    /** Receive buffer of {@link #drainBroker}, reused by whichever thread holds {@link #sockets}. */
    private final byte[][][] inbox = new byte[64][][];
    private final ReentrantLock sockets = new ReentrantLock();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean leaveRequested;
    private volatile Exit exit;
    /** The job running inline, or null; written under {@link #sockets}, read by the watchdog without it. */
    private volatile InlineJob inline;
    private volatile Thread watchdog;

    private ZMQ.Context context;
    private ZMQ.Socket dealer;
    private ZMQ.Poller poller;
    private Slot[] slots;
    private int generation;
    private int abandonedRunners;
    private boolean leaving;
    private boolean leaveAcknowledged;
    private boolean connected;
    private long leaveStartNs;
    private Exit leaveReason = Exit.STOPPED;
    private Monitor monitor;
    private ZMQ.Socket beat;
    private int dealerItem;
    private long nextCheckNs;
    private int wakeItem;
    private BeatWatch beatWatch;
    private long maxAgeAtNs;
    private long nextHeartbeatNs;

    /**
     * Creates the conductor; {@link #run()} connects and serves until the worker leaves.
     *
     * @param options the settings
     * @param handler the job handler
     * @param nanoClock the clock
     */
    public WorkerConductor(WorkerOptions options, JobHandler handler, LongSupplier nanoClock) {
        this.options = options;
        this.handler = handler;
        this.nanoClock = nanoClock;
    }

    /** Asks the worker to leave gracefully: DISCONNECT, finish its jobs, then stop. Any thread. */
    public void requestLeave() {
        leaveRequested = true;
        wakeup.wake();
    }

    /** @return why the worker ended, or null while it runs */
    public Exit exit() {
        return exit;
    }

    /**
     * Waits until the loop has ended and the sockets are closed, on whichever thread it ran last (the thread
     * that called {@link #run()} may still be inside a job that passed its timeout).
     *
     * @param timeoutNs how long to wait
     * @return true when it has ended
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean awaitEnd(long timeoutNs) throws InterruptedException {
        return finished.await(timeoutNs, TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        sockets.lock();
        Exit result = Exit.FAILED;
        try {
            context = ZMQ.context(1);
            Security security = Security.client(options.curveServerKey(), options.curveKey());
            dealer = security.apply(Sockets.create(context, ZMQ.DEALER, 0));
            monitor = new Monitor(context, dealer, options.backend(), security);
            dealer.connect(options.backend());
            beat = security.apply(Sockets.create(context, ZMQ.SUB, 0));
            beat.subscribe(new byte[0]);
            beat.connect(options.heartbeat());
            // Only the DEALER and the wake-up pipe are polled: each ZeroMQ socket in a zmq_poll costs two system
            // calls per pass, and the beats (one a second) and connection events are read every CHECK_NS.
            poller = new ZMQ.Poller(2 + options.capacity());
            dealerItem = poller.register(dealer, ZMQ.Poller.POLLIN);
            wakeItem = wakeup.register(poller);
            long startNs = nanoClock.getAsLong();
            beatWatch = new BeatWatch(startNs, 0, options.pingDelay().toNanos(), options.pingRetries());
            maxAgeAtNs = maxAgeDeadline(startNs);
            nextHeartbeatNs = startNs + options.heartbeatInterval().toNanos();
            nextCheckNs = startNs;
            slots = new Slot[inlineJobs() ? 0 : options.capacity()];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = startSlot(i);
            }
            if (inlineJobs()) {
                startWatchdog();
            }
            result = serve();
        } catch (RuntimeException | Error e) {
            // An Error from a job (OutOfMemoryError, ...) ends the worker, with the sockets released, so that a
            // supervisor starts a fresh one; it must not leave a worker alive that no longer serves.
            LOG.error("worker failed", e);
        }
        if (result != null) {
            finish(result);
        } else {
            awaitFinished();
        }
    }

    private boolean inlineJobs() {
        return options.capacity() == 1;
    }

    /** Ends the worker: the thread that ran the loop to its end calls this, holding {@link #sockets}. */
    private void finish(Exit result) {
        try {
            shutdown();
        } finally {
            exit = result;
            finished.countDown();
            Thread current = watchdog;
            if (current != null) {
                LockSupport.unpark(current);
            }
            sockets.unlock();
        }
    }

    private void awaitFinished() {
        try {
            finished.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The loop; the caller holds {@link #sockets}.
     *
     * @return why the worker ends, or null when this thread lost the sockets to the watchdog while running a job
     *     (it no longer holds them)
     */
    private Exit serve() {
        long heartbeatNs = options.heartbeatInterval().toNanos();
        long timeoutNs = options.timeout().toNanos();
        while (true) {
            long nowNs = nanoClock.getAsLong();
            long nextNs = Math.min(nextHeartbeatNs, Math.min(nextCheckNs, maxAgeAtNs));
            nextNs = Math.min(nextNs, nextJobTimeoutNs(timeoutNs));
            if (leaving) {
                nextNs = Math.min(nextNs, leaveStartNs + LEAVE_ACK_WAIT_NS);
            }
            long waitNs = inlineJobs() && !waitingJobs.isEmpty() ? 0 : nextNs - nowNs;
            Sockets.poll(poller, Sockets.pollTimeoutMs(waitNs));
            if (poller.pollin(wakeItem)) {
                wakeup.clear();
            }
            if (leaveRequested && !leaving) {
                startLeaving(Exit.STOPPED);
            }
            if (poller.pollin(dealerItem)) {
                drainBroker();
            }
            nowNs = nanoClock.getAsLong();
            if (nowNs - nextCheckNs >= 0) {
                drainBeats();
                onMonitorEvents(monitor);
                nextCheckNs = nowNs + CHECK_NS;
            }
            drainRunners();
            if (inlineJobs() && !runWaitingJobsInline(heartbeatNs)) {
                return null;
            }
            nowNs = nanoClock.getAsLong();
            heartbeatIfDue(nowNs, heartbeatNs);
            if (beatWatch.isLost(nowNs)) {
                drainBeats();
            }
            if (beatWatch.isLost(nowNs)) {
                LOG.warn("no beat from the broker at {} for {} x {}: quitting", options.heartbeat(),
                    options.pingRetries(), options.pingDelay());
                return Exit.BEAT_LOST;
            }
            expireJobs(nowNs, timeoutNs);
            if (!leaving && nowNs - maxAgeAtNs >= 0) {
                LOG.info("max age reached: leaving after the current job");
                startLeaving(Exit.MAX_AGE);
            }
            if (leaving && isIdle()
                && (leaveAcknowledged || !connected || nowNs - (leaveStartNs + LEAVE_ACK_WAIT_NS) >= 0)) {
                return leaveReason;
            }
        }
    }

    private void heartbeatIfDue(long nowNs, long heartbeatNs) {
        if (nowNs - nextHeartbeatNs >= 0) {
            Sockets.send(dealer, null, BackendCodec.heartbeat());
            nextHeartbeatNs = nowNs + heartbeatNs;
        }
    }

    private void drainBeats() {
        while (Sockets.receive(beat).length > 0) {
            beatWatch.onBeat(nanoClock.getAsLong());
        }
    }

    /**
     * Runs the queued jobs one after the other on this thread, releasing the sockets during each.
     *
     * @return false when the watchdog took the sockets during a job (the job timed out): this thread must leave
     */
    private boolean runWaitingJobsInline(long heartbeatNs) {
        byte[][] job;
        while ((job = waitingJobs.pollFirst()) != null) {
            InlineJob running = new InlineJob(job[0], nanoClock.getAsLong(), Thread.currentThread());
            inline = running;
            sockets.unlock();
            byte[][] result;
            try {
                result = JobRunner.execute(handler, job[0], job[1]);
            } finally {
                sockets.lock();
            }
            if (running.abandoned) {
                sockets.unlock();
                return false;
            }
            inline = null;
            reply(result[0], result[1][0] == JobRunner.OK[0], result[2]);
            heartbeatIfDue(nanoClock.getAsLong(), heartbeatNs);
        }
        return true;
    }

    private void startWatchdog() {
        long timeoutNs = options.timeout().toNanos();
        long periodNs = Math.max(MIN_WATCH_NS, Math.min(options.heartbeatInterval().toNanos() / 2, timeoutNs / 5));
        Thread thread = new Thread(() -> watch(periodNs, timeoutNs), "powerhose-watchdog");
        thread.setDaemon(true);
        watchdog = thread;
        thread.start();
    }

    /**
     * The watchdog: every period, if a job has run inline for half a period or more (so the loop is not holding
     * the sockets), do the loop's housekeeping for it: heartbeat, read the beats, register again after a
     * reconnection, queue the jobs that arrive. Past the timeout, answer ERROR, abandon the job's thread and
     * carry on the loop on this thread.
     */
    private void watch(long periodNs, long timeoutNs) {
        while (finished.getCount() > 0) {
            LockSupport.parkNanos(this, periodNs);
            InlineJob running = inline;
            if (running == null || finished.getCount() == 0 || !sockets.tryLock()) {
                continue;
            }
            if (inline != running || finished.getCount() == 0) {
                sockets.unlock();
                continue;
            }
            long nowNs = nanoClock.getAsLong();
            if (nowNs - running.startNs < periodNs / 2) {
                sockets.unlock();
                continue;
            }
            heartbeatIfDue(nowNs, options.heartbeatInterval().toNanos());
            drainBeats();
            onMonitorEvents(monitor);
            drainBroker();
            if (leaveRequested && !leaving) {
                startLeaving(Exit.STOPPED);
            }
            if (nowNs - (running.startNs + timeoutNs) < 0 && !beatWatch.isLost(nowNs)) {
                sockets.unlock();
                continue;
            }
            if (nowNs - (running.startNs + timeoutNs) >= 0) {
                abandonInline(running);
            } else {
                LOG.warn("no beat from the broker during a long job: the watchdog takes the loop to quit");
                running.abandoned = true;
                inline = null;
            }
            startWatchdog();
            Thread.currentThread().setName("powerhose-worker");
            Exit result = Exit.FAILED;
            try {
                result = serve();
            } catch (RuntimeException | Error e) {
                LOG.error("worker failed", e);
            }
            if (result != null) {
                finish(result);
            }
            return;
        }
    }

    private void abandonInline(InlineJob running) {
        LOG.error("job ran longer than the timeout {}: its result will not be sent. Thread stacks:{}",
            Durations.text(options.timeout()), allStacks());
        reply(running.jobId, false, utf8("job timed out after " + Durations.text(options.timeout()) + " in worker "
            + pid + "; its result will not be sent"));
        running.abandoned = true;
        running.thread.interrupt();
        inline = null;
    }

    private long maxAgeDeadline(long startNs) {
        if (options.maxAge() == null) {
            return Long.MAX_VALUE;
        }
        long deltaNs = options.maxAgeDelta().toNanos();
        long extraNs = deltaNs > 0 ? ThreadLocalRandom.current().nextLong(deltaNs + 1) : 0;
        return startNs + options.maxAge().toNanos() + extraNs;
    }

    private void startLeaving(Exit reason) {
        leaving = true;
        leaveReason = reason;
        leaveStartNs = nanoClock.getAsLong();
        Sockets.send(dealer, null, BackendCodec.disconnect());
    }

    private void sendReady() {
        Sockets.send(dealer, null, BackendCodec.ready(pid, options.capacity(), LABEL, options.prefetch()));
    }

    private void onMonitorEvents(Monitor monitor) {
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
        } else if (message instanceof BackendCodec.Disconnect) {
            if (leaving) {
                leaveAcknowledged = true;
            } else {
                LOG.info("the broker does not know this worker (it restarted, stopped, or forgot it): "
                    + "registering again");
                sendReady();
            }
        }
    }

    private void onRequest(BackendCodec.Request request) {
        if (request.payload().length > options.maxJobBytes()) {
            reply(request.jobId(), false, utf8("job too large: " + request.payload().length + " > "
                + options.maxJobBytes() + " bytes"));
            return;
        }
        byte[][] job = {request.jobId(), request.payload()};
        for (Slot slot : slots) {
            if (slot.jobId == null) {
                slot.start(job, nanoClock.getAsLong());
                return;
            }
        }
        waitingJobs.addLast(job);
    }

    private void drainRunners() {
        for (Slot slot : slots) {
            if (slot.jobId == null || !poller.pollin(slot.pollItem)) {
                continue;
            }
            byte[][] frames = Sockets.receive(slot.socket);
            if (frames.length != 3) {
                continue;
            }
            reply(frames[0], frames[1][0] == JobRunner.OK[0], frames[2]);
            slot.jobId = null;
            byte[][] next = waitingJobs.pollFirst();
            if (next != null) {
                slot.start(next, nanoClock.getAsLong());
            }
        }
    }

    private long nextJobTimeoutNs(long timeoutNs) {
        long next = Long.MAX_VALUE;
        for (Slot slot : slots) {
            if (slot.jobId != null) {
                next = Math.min(next, slot.startNs + timeoutNs);
            }
        }
        return next;
    }

    private void expireJobs(long nowNs, long timeoutNs) {
        for (int i = 0; i < slots.length; i++) {
            Slot slot = slots[i];
            if (slot.jobId == null || nowNs - (slot.startNs + timeoutNs) < 0) {
                continue;
            }
            LOG.error("job ran longer than the timeout {}: its result will not be sent. Thread stacks:{}",
                Durations.text(options.timeout()), allStacks());
            reply(slot.jobId, false, utf8("job timed out after " + Durations.text(options.timeout()) + " in worker "
                + pid + "; its result will not be sent"));
            slot.runner.abandon();
            slot.thread.interrupt();
            poller.unregister(slot.socket);
            slot.socket.close();
            abandonedRunners++;
            slots[i] = startSlot(i);
            byte[][] next = waitingJobs.pollFirst();
            if (next != null) {
                slots[i].start(next, nowNs);
            }
        }
    }

    private boolean isIdle() {
        if (!waitingJobs.isEmpty() || inline != null) {
            return false;
        }
        for (Slot slot : slots) {
            if (slot.jobId != null) {
                return false;
            }
        }
        return true;
    }

    private void reply(byte[] jobId, boolean ok, byte[] payload) {
        Sockets.send(dealer, null, BackendCodec.reply(jobId, ok, payload));
    }

    private Slot startSlot(int index) {
        String endpoint = "inproc://powerhose-worker-" + instance + "-slot-" + index + "-" + (generation++);
        ZMQ.Socket socket = Sockets.create(context, ZMQ.PAIR, 0);
        socket.bind(endpoint);
        JobRunner runner = new JobRunner(context, endpoint, handler);
        Thread thread = new Thread(runner, "powerhose-job-" + index);
        thread.setDaemon(true);
        thread.start();
        return new Slot(socket, poller.register(socket, ZMQ.Poller.POLLIN), runner, thread);
    }

    private void shutdown() {
        if (slots != null) {
            for (Slot slot : slots) {
                if (slot != null) {
                    Sockets.send(slot.socket, null, new byte[][] {JobRunner.STOP});
                }
            }
            for (Slot slot : slots) {
                if (slot != null) {
                    joinQuietly(slot.thread);
                    slot.socket.close();
                    if (slot.thread.isAlive()) {
                        abandonedRunners++;
                    }
                }
            }
        }
        if (monitor != null) {
            monitor.close();
        }
        if (beat != null) {
            beat.close();
        }
        if (dealer != null) {
            dealer.close();
        }
        wakeup.close();
        if (abandonedRunners == 0 && context != null) {
            context.term();
        } else if (context != null) {
            LOG.warn("{} timed-out job(s) still running: leaving their sockets to the process's exit",
                abandonedRunners);
        }
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    /** A job running inline on the thread that owns the sockets; abandoned when the watchdog took them. */
    private static final class InlineJob {
        final byte[] jobId;
        final long startNs;
        final Thread thread;
        volatile boolean abandoned;

        InlineJob(byte[] jobId, long startNs, Thread thread) {
            this.jobId = jobId;
            this.startNs = startNs;
            this.thread = thread;
        }
    }

    /** One job slot: the I/O end of a runner's PAIR, the runner, and the job it runs. */
    private final class Slot {
        final ZMQ.Socket socket;
        final int pollItem;
        final JobRunner runner;
        final Thread thread;
        byte[] jobId;
        long startNs;

        Slot(ZMQ.Socket socket, int pollItem, JobRunner runner, Thread thread) {
            this.socket = socket;
            this.pollItem = pollItem;
            this.runner = runner;
            this.thread = thread;
        }

        void start(byte[][] job, long nowNs) {
            jobId = job[0];
            startNs = nowNs;
            Sockets.send(socket, null, job);
        }
    }
}
