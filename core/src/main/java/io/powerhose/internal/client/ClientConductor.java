package io.powerhose.internal.client;

import io.powerhose.internal.Durations;
import io.powerhose.BrokerBusyException;
import io.powerhose.BrokerLostException;
import io.powerhose.ClientBusyException;
import io.powerhose.HandshakeFailedException;
import io.powerhose.JobFailedException;
import io.powerhose.JobResult;
import io.powerhose.JobTimeoutException;
import io.powerhose.JobTooLargeException;
import io.powerhose.NoWorkerException;
import io.powerhose.PowerhoseException;
import io.powerhose.ProtocolException;
import io.powerhose.WorkerLostException;
import io.powerhose.internal.protocol.Frames;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyStatus;
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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The client's I/O thread ({@code powerhose-client-io}): it owns the DEALER connected to the broker, the calls
 * not yet sent ({@code unsent}), the calls in flight ({@code pendingByRequestId}) and their deadlines. Caller threads
 * only {@link #offer} calls (after taking room in the {@link CallLimit}) and {@link #cancel} them, through lock-free
 * queues and a wake-up; the I/O thread sends calls when the connection takes them, matches replies by request id,
 * drops late replies, expires calls at their deadline (counted from {@code submit}, sent or not), forwards
 * cancellations to the broker, and fails calls in flight when the broker connection drops.
 *
 * <p>It never blocks: every send is non-blocking, and a call the connection does not take now (no broker yet, or
 * its queue is full) waits in {@code unsent} until the socket is writable or the call's deadline passes. The DEALER
 * queues messages only on a live connection ({@code ZMQ_IMMEDIATE}), so a call that times out before a broker is
 * there was never sent and never runs. It never runs user code: futures that users can attach to are completed on
 * an executor. When the security handshake with the broker fails (CURVE on one side only, a wrong server key, a
 * key the broker refuses), the calls waiting to be sent fail at once with {@link HandshakeFailedException}, and so
 * do new ones until a handshake succeeds; the {@link Monitor} connects again with a backoff.
 */
public final class ClientConductor implements Loop {
    /** How often the connection's events are read while calls are in flight. */
    private static final long MONITOR_CHECK_NS = 50_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(ClientConductor.class);
    private static final int BATCH = 256;
    /** Room in libzmq's send queue beyond the call bound, for CANCELs, PINGs and STATUS requests. */
    private static final int SEND_QUEUE_SPARE = 1024;
    /** Finished calls the deadline queue may keep, beyond twice the call bound, before it is compacted. */
    private static final int COMPACT_SLACK = 4096;

    private final String frontend;
    private final Security security;
    private final OverflowTracker overflows;
    private final LongSupplier nanoClock;
    private final CallLimit limit;
    private final Queue<PendingCall> submitted = new ConcurrentLinkedQueue<>();
    private final Queue<PendingCall> cancelled = new ConcurrentLinkedQueue<>();
    private final Wakeup wakeup = new Wakeup();
    private final ArrayDeque<PendingCall> unsent = new ArrayDeque<>();
    private final Map<Long, PendingCall> pendingByRequestId = new HashMap<>();
    private final PriorityQueue<PendingCall> byDeadline =
        new PriorityQueue<>((a, b) -> Long.compare(a.deadlineNs, b.deadlineNs));
    private final AtomicLong lateReplies = new AtomicLong();
    /** Receive buffer of {@link #receiveReplies}, reused (the I/O thread's only). */
    private final byte[][][] replies = new byte[BATCH][][];
    private volatile boolean running = true;
    private final LoopRunner runner;
    private long nextRequestId = 1;
    private ZMQ.Context context;
    private ZMQ.Socket dealer;
    private Monitor monitor;
    private ZMQ.Poller poller;
    private int dealerItem;
    private int wakeItem;
    private ZMQ.Poller sendPoller;
    private int sendDealerItem;
    private int sendWakeItem;
    private long nextMonitorCheckNs;

    /**
     * Creates the conductor and its thread; {@link #start()} connects and serves.
     *
     * @param frontend the broker's frontend endpoint
     * @param allowedOverflows the overflow rule's limit
     * @param limit the bound on the jobs the client holds
     * @param nanoClock the clock
     * @param security how the connection is secured
     */
    public ClientConductor(String frontend, int allowedOverflows, CallLimit limit, LongSupplier nanoClock,
                           Security security) {
        this.frontend = frontend;
        this.security = security;
        this.overflows = new OverflowTracker(allowedOverflows);
        this.limit = limit;
        this.nanoClock = nanoClock;
        this.runner = new LoopRunner(ThreadRole.CLIENT_IO, null, this, LOG);
    }

    /**
     * Hands a call to the I/O thread, or fails it at once when the client is closed or, for a job, when the client
     * already holds {@code maxPendingCalls} jobs or {@code maxPendingBytes} of payload. Never blocks. Any thread.
     *
     * @param call the call
     */
    public void offer(PendingCall call) {
        if (!running) {
            call.fail(new PowerhoseException("client is closed"));
            return;
        }
        if (call.kind == PendingCall.Kind.JOB) {
            CallLimit.Outcome outcome = limit.tryAcquire(call.payloadLength);
            if (outcome != CallLimit.Outcome.ACQUIRED) {
                call.fail(outcome == CallLimit.Outcome.TOO_MANY_CALLS
                    ? new ClientBusyException("maxPendingCalls", limit.maxCalls())
                    : new ClientBusyException("maxPendingBytes", limit.maxBytes()));
                return;
            }
            call.holdRoomIn(limit);
        }
        submitted.offer(call);
        wakeup.wake();
        if (!running && submitted.remove(call)) {
            call.fail(new PowerhoseException("client is closed"));
        }
    }

    /**
     * Tells the I/O thread that a call's caller gave up on it (its future is cancelled already): a call not sent yet
     * is dropped, a call in flight is forgotten and a CANCEL goes to the broker. Any thread; never blocks.
     *
     * @param call the call
     */
    public void cancel(PendingCall call) {
        cancelled.offer(call);
        wakeup.wake();
    }

    /** Asks the loop to stop; calls in flight fail. Any thread. */
    @Override
    public void requestStop() {
        running = false;
        wakeup.wake();
    }

    /** @return replies dropped because their caller had given up (any thread) */
    public long lateReplies() {
        return lateReplies.get();
    }

    /** Starts the I/O thread. */
    public void start() {
        runner.start();
    }

    /**
     * Asks the loop to stop (calls in flight fail) and waits for its thread, up to a bound.
     *
     * @param timeoutMs the longest wait
     */
    public void close(long timeoutMs) {
        runner.close(timeoutMs);
    }

    @Override
    public void onStart() {
        context = ZMQ.context(1);
        dealer = security.apply(Sockets.create(context, ZMQ.DEALER, 0));
        dealer.setSndHWM(limit.maxCalls() + SEND_QUEUE_SPARE);
        // Queue only on a live connection: with no broker, calls wait in `unsent`, where their deadline can
        // still fail them, instead of in libzmq, where a call that already timed out would still be sent.
        dealer.setImmediate(true);
        monitor = new Monitor(context, dealer, frontend, security);
        dealer.connect(frontend);
        // The monitor is read between polls, not polled: each ZeroMQ socket in a zmq_poll costs two system
        // calls per pass, and the connection's events only matter while calls are in flight. Two pollers, made
        // once: the second also waits for room to send, used only while calls wait for it.
        poller = new ZMQ.Poller(2);
        dealerItem = poller.register(dealer, ZMQ.Poller.POLLIN);
        wakeItem = wakeup.register(poller);
        sendPoller = new ZMQ.Poller(3);
        sendDealerItem = sendPoller.register(dealer, ZMQ.Poller.POLLIN | ZMQ.Poller.POLLOUT);
        sendWakeItem = wakeup.register(sendPoller);
        monitor.register(sendPoller); // while calls wait to be sent, a failed handshake fails them at once
        nextMonitorCheckNs = nanoClock.getAsLong();
    }

    @Override
    public void doWork() {
        long waitMs = byDeadline.isEmpty() ? 1000 : millisUntil(byDeadline.peek().deadlineNs);
        if (!pendingByRequestId.isEmpty()) {
            waitMs = Math.min(waitMs, millisUntil(nextMonitorCheckNs));
        }
        boolean waitingToSend = !unsent.isEmpty();
        ZMQ.Poller active = waitingToSend ? sendPoller : poller;
        Sockets.poll(active, waitMs);
        if (active.pollin(waitingToSend ? sendWakeItem : wakeItem)) {
            wakeup.clear();
        }
        long nowNs = nanoClock.getAsLong();
        if (pendingByRequestId.isEmpty() || nowNs - nextMonitorCheckNs >= 0) {
            // Before sending when idle, so that a stale disconnection never fails the new calls.
            onMonitorEvents(monitor);
            nextMonitorCheckNs = nowNs + MONITOR_CHECK_NS;
        }
        if (active.pollin(waitingToSend ? sendDealerItem : dealerItem)) {
            receiveReplies();
        }
        onCancelled();
        takeSubmitted();
    }

    @Override
    public void onTimers() {
        expireCalls();
        sendUnsent();
    }

    @Override
    public boolean isDone() {
        return !running;
    }

    @Override
    public void onClose() {
        running = false;
        Throwable failure = runner.failure();
        PowerhoseException closed = failure == null ? new PowerhoseException("client is closed")
            : new PowerhoseException("the client's I/O thread died: " + failure, failure);
        failAll(closed);
        for (PendingCall call : unsent) {
            call.fail(closed);
        }
        unsent.clear();
        byDeadline.clear();
        PendingCall call;
        while ((call = submitted.poll()) != null) {
            call.fail(closed);
        }
        cancelled.clear();
        try {
            if (monitor != null) {
                monitor.close();
            }
            Sockets.close(dealer);
            if (context != null) {
                context.term();
            }
        } finally {
            wakeup.close();
        }
    }

    private long millisUntil(long deadlineNs) {
        long waitNs = deadlineNs - nanoClock.getAsLong();
        return Sockets.pollTimeoutMs(waitNs);
    }

    /**
     * Moves new calls to the send queue and the deadline queue; calls cancelled meanwhile only give back room, and
     * while the last handshake with the broker failed, new calls fail at once.
     */
    private void takeSubmitted() {
        PendingCall call;
        while ((call = submitted.poll()) != null) {
            if (call.isFinished() || call.isCancelled()) {
                call.fail(new PowerhoseException("cancelled")); // only gives its room back, if it still holds any
                continue;
            }
            if (monitor.handshakeFailure() != null) {
                call.fail(new HandshakeFailedException(frontend, monitor.handshakeFailure()));
                continue;
            }
            unsent.addLast(call);
            byDeadline.add(call);
        }
    }

    /** Sends what waits, in order, while the connection takes it; never waits for room. */
    private void sendUnsent() {
        PendingCall call;
        while ((call = unsent.peekFirst()) != null) {
            if (call.isFinished()) {
                unsent.pollFirst();
                continue;
            }
            if (call.requestId == 0) {
                call.requestId = nextRequestId++;
            }
            byte[] id = Frames.longId(call.requestId);
            byte[][] frames = switch (call.kind) {
                case JOB -> FrontendCodec.request(id, remainingMs(call), call.payload(),
                    call.retryable ? FrontendCodec.FLAG_RETRYABLE : 0);
                case PING -> FrontendCodec.ping(id);
                case STATUS -> FrontendCodec.status(id);
            };
            if (!Sockets.trySend(dealer, frames)) {
                return; // no connection yet, or its queue is full: wait until the socket is writable
            }
            unsent.pollFirst();
            call.onSent();
            pendingByRequestId.put(call.requestId, call);
        }
        if (unsent.size() > limit.maxCalls() + COMPACT_SLACK) {
            unsent.removeIf(PendingCall::isFinished);
        }
    }

    /** What is left of the call's wait, in whole milliseconds rounded up, at least 1: the broker's timeout. */
    private long remainingMs(PendingCall call) {
        return Math.max(1, (call.deadlineNs - nanoClock.getAsLong() + 999_999) / 1_000_000);
    }

    /** Forgets cancelled calls; one the broker has is cancelled there too (it drops it, or discards its result). */
    private void onCancelled() {
        PendingCall call;
        while ((call = cancelled.poll()) != null) {
            if (call.isFinished()) {
                continue; // answered, expired or failed first
            }
            boolean inFlight = call.sent && pendingByRequestId.remove(call.requestId) == call;
            call.fail(new PowerhoseException("cancelled")); // gives its room back; its future is cancelled already
            if (inFlight) {
                if (!Sockets.trySend(dealer, FrontendCodec.cancel(Frames.longId(call.requestId)))) {
                    // The job then runs and its answer is dropped here as late: the same outcome, later.
                    LOG.debug("CANCEL of request {} not sent: the connection's queue is full", call.requestId);
                }
            }
        }
    }

    private void receiveReplies() {
        int count = Sockets.receiveBatch(dealer, replies, BATCH);
        for (int i = 0; i < count; i++) {
            byte[][] frames = replies[i];
            replies[i] = null;
            FrontendCodec.FromBroker message;
            try {
                message = FrontendCodec.decodeFromBroker(frames);
            } catch (ProtocolException e) {
                LOG.warn("dropping a malformed message from the broker: {}", e.getMessage());
                continue;
            }
            byte[] id = requestIdOf(message);
            PendingCall call = id.length == 8 ? pendingByRequestId.remove(Frames.parseLongId(id)) : null;
            if (call == null) {
                lateReplies.incrementAndGet();
                continue;
            }
            complete(call, message);
        }
    }

    private void complete(PendingCall call, FrontendCodec.FromBroker message) {
        long elapsedNs = nanoClock.getAsLong() - call.submitNs;
        if (message instanceof FrontendCodec.Pong pong) {
            call.succeed(pong.brokerPid());
        } else if (message instanceof FrontendCodec.StatusReply status) {
            call.succeed(status.text());
        } else if (message instanceof FrontendCodec.Reply reply) {
            completeJob(call, reply, elapsedNs);
        }
    }

    private void completeJob(PendingCall call, FrontendCodec.Reply reply, long elapsedNs) {
        // The payload as text only for the statuses whose payload is a message: an OK result is not decoded.
        String text = reply.status() == ReplyStatus.OK ? "" : new String(reply.payload(), StandardCharsets.UTF_8);
        switch (reply.status()) {
            case OK -> {
                if (overflows.accept(reply.pid(), elapsedNs, call.timeoutNs)) {
                    call.succeed(new JobResult(reply.payload(), reply.pid(), Duration.ofNanos(elapsedNs)));
                } else {
                    call.fail(new JobTimeoutException("worker " + reply.pid() + " overflowed the timeout "
                        + overflows.overflows(reply.pid()) + " times in a row (this call took "
                        + Durations.ofNanos(elapsedNs) + ")", Duration.ofNanos(call.timeoutNs),
                        Duration.ofNanos(elapsedNs)));
                }
            }
            case ERROR -> call.fail(new JobFailedException(text, reply.pid()));
            case NO_WORKER -> call.fail(new NoWorkerException(text.equals("No worker")
                ? "No worker: no worker registered with the broker at " + frontend : text));
            case BUSY -> call.fail(new BrokerBusyException(parseIntOr(text, -1)));
            case EXPIRED -> call.fail(new JobTimeoutException("job expired in the broker queue: " + text,
                Duration.ofNanos(call.waitNs), Duration.ofNanos(elapsedNs)));
            case WORKER_LOST -> call.fail(new WorkerLostException(text, reply.pid()));
            case TOO_LARGE -> call.fail(new JobTooLargeException(call.payloadLength, parseIntOr(text, -1)));
            case INVALID -> call.fail(new ProtocolException("request", "the broker refused it: " + text));
            default -> call.fail(new ProtocolException("REPLY status", "unexpected " + reply.status()));
        }
    }

    private static byte[] requestIdOf(FrontendCodec.FromBroker message) {
        if (message instanceof FrontendCodec.Reply reply) {
            return reply.requestId();
        }
        if (message instanceof FrontendCodec.Pong pong) {
            return pong.requestId();
        }
        return ((FrontendCodec.StatusReply) message).requestId();
    }

    private void onMonitorEvents(Monitor monitor) {
        int event;
        while ((event = monitor.poll()) != 0) {
            if (Monitor.isHandshakeFailure(event) && monitor.handshakeFailure() != null) {
                failUnsent(new HandshakeFailedException(frontend, monitor.handshakeFailure()));
            }
            if (event == Monitor.EVENT_DISCONNECTED && !pendingByRequestId.isEmpty()) {
                LOG.warn("lost the connection to the broker at {}: failing {} call(s) in flight", frontend,
                    pendingByRequestId.size());
                failAll(new BrokerLostException("lost the connection to the broker at " + frontend
                    + " while the call was in flight"));
            }
        }
    }

    private void expireCalls() {
        long nowNs = nanoClock.getAsLong();
        while (!byDeadline.isEmpty() && nowNs - byDeadline.peek().deadlineNs >= 0) {
            PendingCall call = byDeadline.poll();
            if (call.isFinished()) {
                continue; // answered or cancelled already; deadlines are removed lazily
            }
            if (call.sent) {
                pendingByRequestId.remove(call.requestId);
            }
            switch (call.kind) {
                case PING -> call.succeed(-1L);
                case STATUS -> call.succeed(null);
                case JOB -> call.fail(new JobTimeoutException((call.sent ? "no result within " : "not sent within ")
                    + Durations.ofNanos(call.waitNs) + (call.sent ? " from the broker at " + frontend
                    : ": no connection to a broker at " + frontend + " took it"), Duration.ofNanos(call.waitNs),
                    Duration.ofNanos(nowNs - call.submitNs)));
            }
        }
        if (byDeadline.size() > 2L * limit.maxCalls() + COMPACT_SLACK) {
            byDeadline.removeIf(PendingCall::isFinished); // answered calls, kept until their deadline otherwise
        }
    }

    /** Fails the calls waiting to be sent: a failed handshake leaves them no connection to go to. */
    private void failUnsent(PowerhoseException error) {
        for (PendingCall call : unsent) {
            if (!call.isFinished()) {
                call.fail(error);
            }
        }
        unsent.clear();
    }

    /** Fails the calls in flight (not those waiting to be sent: they go to the next connection). */
    private void failAll(PowerhoseException error) {
        List<PendingCall> calls = new ArrayList<>(pendingByRequestId.values());
        pendingByRequestId.clear();
        for (PendingCall call : calls) {
            switch (call.kind) {
                case PING -> call.succeed(-1L);
                case STATUS -> call.succeed(null);
                case JOB -> call.fail(error);
            }
        }
    }

    private static int parseIntOr(String text, int fallback) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

}
