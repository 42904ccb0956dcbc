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
import io.powerhose.internal.metrics.ClientMetrics;
import io.powerhose.internal.protocol.Frames;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.protocol.ReplyDetail;
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

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
 * an executor.
 *
 * <p>Given several brokers, it has one {@link FrontendLink} (DEALER, monitor, calls in flight) per broker, all owned by
 * this thread. It sends each call to one link that is up, in turn (round robin), skipping a link whose connection
 * dropped until its monitor reports a new one, and one that does not take the call now. A link whose connection
 * drops fails only its own calls in flight ({@link BrokerLostException}), or sends a retryable job once more to
 * another broker (docs/PROTOCOL.md, "Several brokers").
 *
 * <p>When the security handshake fails on every link (CURVE on one side only, a wrong server key, a key the broker
 * refuses), the calls waiting to be sent fail at once with {@link HandshakeFailedException}, and so do new ones until
 * a handshake succeeds; the {@link Monitor} connects again with a backoff.
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

    private final List<String> frontends;
    private final Security security;
    private final OverflowTracker overflows;
    private final LongSupplier nanoClock;
    private final CallLimit limit;
    private final ClientMetrics metrics;
    private final Queue<PendingCall> submitted = new ConcurrentLinkedQueue<>();
    private final Queue<PendingCall> cancelled = new ConcurrentLinkedQueue<>();
    private final Wakeup wakeup = new Wakeup();
    private final ArrayDeque<PendingCall> unsent = new ArrayDeque<>();
    private final PriorityQueue<PendingCall> byDeadline =
        new PriorityQueue<>((a, b) -> Long.compare(a.deadlineNs, b.deadlineNs));
    private final AtomicLong lateReplies = new AtomicLong();
    /** Receive buffer of {@link #receiveReplies}, reused (the I/O thread's only). */
    private final byte[][][] replies = new byte[BATCH][][];
    private volatile boolean running = true;
    private final LoopRunner runner;
    private long nextRequestId = 1;
    private ZMQ.Context context;
    private FrontendLink[] links = new FrontendLink[0];
    /** Calls in flight on every link. */
    private int inFlight;
    /** The link the next call tries first (round robin). */
    private int nextLink;
    private ZMQ.Poller poller;
    private int wakeItem;
    private ZMQ.Poller sendPoller;
    private int sendWakeItem;
    private long nextMonitorCheckNs;

    /**
     * Creates the conductor and its thread; {@link #start()} connects and serves.
     *
     * @param frontends the brokers' frontend endpoints (one or more)
     * @param allowedOverflows the overflow rule's limit
     * @param limit the bound on the jobs the client holds
     * @param nanoClock the clock
     */
    public ClientConductor(List<String> frontends, int allowedOverflows, CallLimit limit, LongSupplier nanoClock) {
        this(frontends, allowedOverflows, limit, nanoClock, ClientMetrics.NONE, Security.NONE);
    }

    /**
     * Creates the conductor with metrics and security, and its thread; {@link #start()} connects and serves.
     *
     * @param frontends the brokers' frontend endpoints (one or more)
     * @param allowedOverflows the overflow rule's limit
     * @param limit the bound on the jobs the client holds
     * @param nanoClock the clock
     * @param metrics what records each job call's end and the late replies
     * @param security what each connection's DEALER is given (CURVE keys), or {@link Security#NONE}
     */
    public ClientConductor(List<String> frontends, int allowedOverflows, CallLimit limit, LongSupplier nanoClock,
                           ClientMetrics metrics, Security security) {
        this.metrics = metrics;
        this.security = security;
        this.frontends = List.copyOf(frontends);
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
        call.metrics = metrics;
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
        links = new FrontendLink[frontends.size()];
        // The monitors are read between polls, not polled: each ZeroMQ socket in a zmq_poll costs two system
        // calls per pass, and the connections' events only matter while calls are in flight. Two pollers, made
        // once: the second also waits for room to send, used only while calls wait for it.
        poller = new ZMQ.Poller(links.length + 1);
        sendPoller = new ZMQ.Poller(2 * links.length + 1);
        for (int i = 0; i < links.length; i++) {
            links[i] = new FrontendLink(i, context, frontends.get(i), limit.maxCalls() + SEND_QUEUE_SPARE, security);
            links[i].pollItem = poller.register(links[i].dealer, ZMQ.Poller.POLLIN);
            links[i].sendPollItem = sendPoller.register(links[i].dealer, ZMQ.Poller.POLLIN | ZMQ.Poller.POLLOUT);
            // While calls wait to be sent, a failed handshake fails them at once: the monitors are polled then.
            links[i].monitor.register(sendPoller);
        }
        wakeItem = wakeup.register(poller);
        sendWakeItem = wakeup.register(sendPoller);
        nextMonitorCheckNs = nanoClock.getAsLong();
    }

    @Override
    public void doWork() {
        long waitMs = byDeadline.isEmpty() ? 1000 : millisUntil(byDeadline.peek().deadlineNs);
        boolean waitingToSend = !unsent.isEmpty();
        // While calls wait to be sent and a link is down, a writable DEALER may be that link's new connection,
        // which only its monitor can tell: read the monitors at the same pace as while calls are in flight.
        if (inFlight > 0 || (waitingToSend && anyLinkDown())) {
            waitMs = Math.min(waitMs, millisUntil(nextMonitorCheckNs));
        }
        ZMQ.Poller active = waitingToSend ? sendPoller : poller;
        Sockets.poll(active, waitMs);
        if (active.pollin(waitingToSend ? sendWakeItem : wakeItem)) {
            wakeup.clear();
        }
        long nowNs = nanoClock.getAsLong();
        if (inFlight == 0 || nowNs - nextMonitorCheckNs >= 0) {
            // Before sending when idle, so that a stale disconnection never fails the new calls.
            for (FrontendLink link : links) {
                onMonitorEvents(link);
            }
            nextMonitorCheckNs = nowNs + MONITOR_CHECK_NS;
        }
        for (FrontendLink link : links) {
            if (active.pollin(waitingToSend ? link.sendPollItem : link.pollItem)) {
                receiveReplies(link);
            }
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
            for (FrontendLink link : links) {
                link.close();
            }
            if (context != null) {
                context.term();
            }
        } finally {
            wakeup.close();
            metrics.close();
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
            if (everyLinkFailedItsHandshake()) {
                call.fail(new HandshakeFailedException(links[0].frontend, links[0].monitor.handshakeFailure()));
                continue;
            }
            unsent.addLast(call);
            byDeadline.add(call);
        }
    }

    /** Sends what waits, in order, while a connection takes it; never waits for room. */
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
            // A retryable job sent again after its broker was lost goes without the flag: its handler has run at
            // most twice on the lost broker, and runs at most once more (docs/RELIABILITY.md).
            byte[][] frames = switch (call.kind) {
                case JOB -> FrontendCodec.request(id, remainingMs(call), call.payload(),
                    call.retryable && !call.resent ? FrontendCodec.FLAG_RETRYABLE : 0);
                case PING -> FrontendCodec.ping(id);
                case STATUS -> FrontendCodec.status(id);
            };
            FrontendLink link = trySend(frames);
            if (link == null) {
                return; // no connection yet, or their queues are full: wait until a socket is writable
            }
            unsent.pollFirst();
            call.onSent(link, call.retryable && !call.resent && links.length > 1);
            link.pendingByRequestId.put(call.requestId, call);
            inFlight++;
        }
        if (unsent.size() > limit.maxCalls() + COMPACT_SLACK) {
            unsent.removeIf(PendingCall::isFinished);
        }
    }

    /**
     * Sends a message on the next link that is up and takes it now, in turn from the last one used.
     *
     * @return the link that took it, or null when none did
     */
    private FrontendLink trySend(byte[][] frames) {
        for (int k = 0; k < links.length; k++) {
            FrontendLink link = links[(nextLink + k) % links.length];
            if (link.up && Sockets.trySend(link.dealer, frames)) {
                nextLink = (link.index + 1) % links.length;
                return link;
            }
        }
        return null;
    }

    private boolean anyLinkDown() {
        for (FrontendLink link : links) {
            if (!link.up) {
                return true;
            }
        }
        return false;
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
            FrontendLink link = call.link;
            boolean wasInFlight = call.sent && forget(call);
            call.fail(new PowerhoseException("cancelled")); // gives its room back; its future is cancelled already
            if (wasInFlight) {
                if (!Sockets.trySend(link.dealer, FrontendCodec.cancel(Frames.longId(call.requestId)))) {
                    // The job then runs and its answer is dropped here as late: the same outcome, later.
                    LOG.debug("CANCEL of request {} not sent: the connection's queue is full", call.requestId);
                }
            }
        }
    }

    /** Removes a sent call from its link's calls in flight; true when it was there. */
    private boolean forget(PendingCall call) {
        if (call.link != null && call.link.pendingByRequestId.remove(call.requestId) == call) {
            inFlight--;
            return true;
        }
        return false;
    }

    private void receiveReplies(FrontendLink link) {
        int count = Sockets.receiveBatch(link.dealer, replies, BATCH);
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
            PendingCall call = id.length == 8 ? link.pendingByRequestId.remove(Frames.parseLongId(id)) : null;
            if (call == null) {
                lateReplies.incrementAndGet();
                metrics.onLateReply();
                continue;
            }
            inFlight--;
            complete(call, link, message);
        }
    }

    private void complete(PendingCall call, FrontendLink link, FrontendCodec.FromBroker message) {
        long elapsedNs = nanoClock.getAsLong() - call.submitNs;
        if (message instanceof FrontendCodec.Pong pong) {
            call.succeed(pong.brokerPid());
        } else if (message instanceof FrontendCodec.StatusReply status) {
            call.succeed(status.text());
        } else if (message instanceof FrontendCodec.Reply reply) {
            completeJob(call, link, reply, elapsedNs);
        }
    }

    private void completeJob(PendingCall call, FrontendLink link, FrontendCodec.Reply reply, long elapsedNs) {
        byte[] payload = reply.payload();
        switch (reply.status()) {
            case OK -> {
                if (overflows.accept(reply.pid(), elapsedNs, call.expectedNs)) {
                    call.succeed(new JobResult(payload, reply.pid(), Duration.ofNanos(elapsedNs)));
                } else {
                    call.fail(new JobTimeoutException("worker " + reply.pid() + " overflowed the timeout "
                        + overflows.overflows(reply.pid()) + " times in a row (this call took "
                        + Durations.ofNanos(elapsedNs) + ")", Duration.ofNanos(call.expectedNs),
                        Duration.ofNanos(elapsedNs)));
                }
            }
            case ERROR -> {
                ReplyDetail.Failure failure = ReplyDetail.Failure.decode(payload);
                call.fail(new JobFailedException(failure.remoteType(), failure.remoteMessage(), reply.pid()));
            }
            case NO_WORKER -> call.fail(new NoWorkerException(switch (ReplyDetail.NoWorker.decode(payload)) {
                case NONE_REGISTERED -> "No worker: no worker registered with the broker at " + link.frontend;
                case BROKER_STOPPING -> "No worker: the broker at " + link.frontend + " is stopping";
                case OTHER -> ReplyDetail.decodeText(payload);
            }));
            case BUSY -> call.fail(new BrokerBusyException(toInt(ReplyDetail.decodeNumber(payload))));
            case EXPIRED -> call.fail(new JobTimeoutException("job expired in the broker queue: "
                + ReplyDetail.decodeText(payload), Duration.ofNanos(call.waitNs), Duration.ofNanos(elapsedNs)));
            case WORKER_LOST -> call.fail(new WorkerLostException(ReplyDetail.decodeText(payload), reply.pid()));
            case TOO_LARGE -> call.fail(new JobTooLargeException(call.payloadLength,
                toInt(ReplyDetail.decodeNumber(payload))));
            case INVALID -> call.fail(new ProtocolException("request", "the broker refused it: "
                + ReplyDetail.decodeText(payload)));
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

    private void onMonitorEvents(FrontendLink link) {
        int event;
        while ((event = link.monitor.poll()) != 0) {
            if (Monitor.isHandshakeFailure(event) && everyLinkFailedItsHandshake()) {
                failUnsent(new HandshakeFailedException(link.frontend, link.monitor.handshakeFailure()));
            }
            if (event == Monitor.EVENT_CONNECTED) {
                if (!link.up) {
                    LOG.info("connected to the broker at {} again", link.frontend);
                }
                link.up = true;
            } else if (event == Monitor.EVENT_DISCONNECTED) {
                // With one broker the link stays up: libzmq's IMMEDIATE refuses sends until it reconnects.
                link.up = links.length == 1;
                if (!link.pendingByRequestId.isEmpty()) {
                    onBrokerLost(link);
                }
            }
        }
    }

    /**
     * Fails the calls in flight on a lost broker, but for retryable jobs of a client with several brokers that were
     * not sent again yet: those go back to the head of the send queue, for another broker.
     */
    private void onBrokerLost(FrontendLink link) {
        int resent = 0;
        BrokerLostException lost = new BrokerLostException("lost the connection to the broker at " + link.frontend
            + " while the call was in flight");
        List<PendingCall> calls = new ArrayList<>(link.pendingByRequestId.values());
        link.pendingByRequestId.clear();
        inFlight -= calls.size();
        for (int i = calls.size() - 1; i >= 0; i--) {
            PendingCall call = calls.get(i);
            if (call.kind == PendingCall.Kind.JOB && call.retryable && !call.resent && links.length > 1
                && call.payload() != null) {
                call.onResend();
                unsent.addFirst(call);
                resent++;
            } else {
                fail(call, lost);
            }
        }
        LOG.warn("lost the connection to the broker at {}: failed {} call(s) in flight, {} retryable job(s) to be"
            + " sent again to another broker", link.frontend, calls.size() - resent, resent);
    }

    private void expireCalls() {
        long nowNs = nanoClock.getAsLong();
        while (!byDeadline.isEmpty() && nowNs - byDeadline.peek().deadlineNs >= 0) {
            PendingCall call = byDeadline.poll();
            if (call.isFinished()) {
                continue; // answered or cancelled already; deadlines are removed lazily
            }
            FrontendLink link = call.link;
            if (call.sent) {
                forget(call);
            }
            switch (call.kind) {
                case PING -> call.succeed(-1L);
                case STATUS -> call.succeed(null);
                case JOB -> call.fail(new JobTimeoutException((call.sent ? "no result within " : "not sent within ")
                    + Durations.ofNanos(call.waitNs) + (call.sent ? " from the broker at " + link.frontend
                    : ": no connection to a broker at " + String.join(",", frontends) + " took it"),
                    Duration.ofNanos(call.waitNs),
                    Duration.ofNanos(nowNs - call.submitNs)));
            }
        }
        if (byDeadline.size() > 2L * limit.maxCalls() + COMPACT_SLACK) {
            byDeadline.removeIf(PendingCall::isFinished); // answered calls, kept until their deadline otherwise
        }
    }

    /** @return true when the last handshake of every link failed: no broker will take a call now */
    private boolean everyLinkFailedItsHandshake() {
        if (links.length == 0) {
            return false;
        }
        for (FrontendLink link : links) {
            if (link.monitor.handshakeFailure() == null) {
                return false;
            }
        }
        return true;
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

    /** Fails the calls in flight on every link (the client is closing). */
    private void failAll(PowerhoseException error) {
        for (FrontendLink link : links) {
            List<PendingCall> calls = new ArrayList<>(link.pendingByRequestId.values());
            link.pendingByRequestId.clear();
            for (PendingCall call : calls) {
                fail(call, error);
            }
        }
        inFlight = 0;
    }

    /** Ends a call in flight whose broker will not answer it: a PING or STATUS gets no answer, a job the error. */
    private static void fail(PendingCall call, PowerhoseException error) {
        switch (call.kind) {
            case PING -> call.succeed(-1L);
            case STATUS -> call.succeed(null);
            case JOB -> call.fail(error);
        }
    }

    /** @return the number, or -1 when unknown or beyond an int */
    private static int toInt(long number) {
        return number >= 0 && number <= Integer.MAX_VALUE ? (int) number : -1;
    }

}
