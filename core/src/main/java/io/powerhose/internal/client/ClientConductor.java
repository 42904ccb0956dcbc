package io.powerhose.internal.client;

import io.powerhose.BrokerBusyException;
import io.powerhose.BrokerLostException;
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
import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 * The client's I/O thread ({@code powerhose-client-io}): it owns the DEALER connected to the broker, the
 * calls in flight ({@code pendingByRequestId}) and their deadlines. Caller threads only {@link #offer} calls
 * through a lock-free queue and a wake-up; the I/O thread sends them, matches replies by request id, drops
 * late replies, expires calls at their deadline and fails calls in flight when the broker connection drops.
 * It never runs user code: futures that users can attach to are completed on an executor.
 */
public final class ClientConductor implements Runnable {
    /** How often the connection's events are read while calls are in flight. */
    private static final long MONITOR_CHECK_NS = 50_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(ClientConductor.class);
    private static final int BATCH = 256;
    private static final long SEND_QUEUE_LIMIT = 100_000;

    private final String frontend;
    private final OverflowTracker overflows;
    private final LongSupplier nanoClock;
    private final Queue<PendingCall> submitted = new ConcurrentLinkedQueue<>();
    private final Wakeup wakeup = new Wakeup();
    private final Map<Long, PendingCall> pendingByRequestId = new HashMap<>();
    private final PriorityQueue<PendingCall> byDeadline =
        new PriorityQueue<>((a, b) -> Long.compare(a.deadlineNs, b.deadlineNs));
    private final AtomicLong lateReplies = new AtomicLong();
    /** Receive buffer of {@link #receiveReplies}, reused (the I/O thread's only). */
    private final byte[][][] replies = new byte[BATCH][][];
    private volatile boolean running = true;
    private long nextRequestId = 1;
    private ZMQ.Socket dealer;

    /**
     * Creates the conductor; {@link #run()} connects and serves.
     *
     * @param frontend the broker's frontend endpoint
     * @param allowedOverflows the overflow rule's limit
     * @param nanoClock the clock
     */
    public ClientConductor(String frontend, int allowedOverflows, LongSupplier nanoClock) {
        this.frontend = frontend;
        this.overflows = new OverflowTracker(allowedOverflows);
        this.nanoClock = nanoClock;
    }

    /**
     * Hands a call to the I/O thread. Any thread.
     *
     * @param call the call
     */
    public void offer(PendingCall call) {
        if (!running) {
            call.fail(new PowerhoseException("client is closed"));
            return;
        }
        submitted.offer(call);
        wakeup.wake();
        if (!running && submitted.remove(call)) {
            call.fail(new PowerhoseException("client is closed"));
        }
    }

    /** Asks the loop to stop; calls in flight fail. Any thread. */
    public void requestStop() {
        running = false;
        wakeup.wake();
    }

    /** @return replies dropped because their caller had given up (any thread) */
    public long lateReplies() {
        return lateReplies.get();
    }

    @Override
    public void run() {
        ZMQ.Context context = ZMQ.context(1);
        Monitor monitor = null;
        try {
            dealer = Sockets.create(context, ZMQ.DEALER, 0);
            dealer.setSndHWM(SEND_QUEUE_LIMIT);
            monitor = new Monitor(context, dealer);
            dealer.connect(frontend);
            // The monitor is read between polls, not polled: each ZeroMQ socket in a zmq_poll costs two system
            // calls per pass, and the connection's events only matter while calls are in flight.
            ZMQ.Poller poller = new ZMQ.Poller(2);
            int dealerItem = poller.register(dealer, ZMQ.Poller.POLLIN);
            int wakeItem = wakeup.register(poller);
            long nextMonitorCheckNs = nanoClock.getAsLong();
            while (running) {
                long waitMs = byDeadline.isEmpty() ? 1000 : millisUntil(byDeadline.peek().deadlineNs);
                if (!pendingByRequestId.isEmpty()) {
                    waitMs = Math.min(waitMs, millisUntil(nextMonitorCheckNs));
                }
                Sockets.poll(poller, waitMs);
                if (poller.pollin(wakeItem)) {
                    wakeup.clear();
                }
                long nowNs = nanoClock.getAsLong();
                if (pendingByRequestId.isEmpty() || nowNs - nextMonitorCheckNs >= 0) {
                    // Before sending when idle, so that a stale disconnection never fails the new calls.
                    onMonitorEvents(monitor);
                    nextMonitorCheckNs = nowNs + MONITOR_CHECK_NS;
                }
                sendSubmitted();
                if (poller.pollin(dealerItem)) {
                    receiveReplies();
                }
                expireCalls();
            }
        } catch (RuntimeException e) {
            LOG.error("client I/O thread failed; failing all calls", e);
        } finally {
            running = false;
            failAll(new PowerhoseException("client is closed"));
            PendingCall call;
            while ((call = submitted.poll()) != null) {
                call.fail(new PowerhoseException("client is closed"));
            }
            if (monitor != null) {
                monitor.close();
            }
            if (dealer != null) {
                dealer.close();
            }
            context.term();
            wakeup.close();
        }
    }

    private long millisUntil(long deadlineNs) {
        long waitNs = deadlineNs - nanoClock.getAsLong();
        return Sockets.pollTimeoutMs(waitNs);
    }

    private void sendSubmitted() {
        PendingCall call;
        while ((call = submitted.poll()) != null) {
            long requestId = nextRequestId++;
            byte[] id = Frames.longId(requestId);
            byte[][] frames = switch (call.kind) {
                case JOB -> FrontendCodec.request(id, call.waitNs / 1_000_000, call.takePayload());
                case PING -> FrontendCodec.ping(id);
                case STATUS -> FrontendCodec.status(id);
            };
            call.requestId = requestId;
            call.sentNs = nanoClock.getAsLong();
            call.deadlineNs = call.sentNs + call.waitNs;
            if (!Sockets.send(dealer, null, frames)) {
                call.fail(new PowerhoseException("client send queue full (" + SEND_QUEUE_LIMIT
                    + " messages waiting for the broker at " + frontend + ")"));
                continue;
            }
            pendingByRequestId.put(requestId, call);
            byDeadline.add(call);
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
        long elapsedNs = nanoClock.getAsLong() - call.sentNs;
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
                        + Duration.ofNanos(elapsedNs) + ")", Duration.ofNanos(call.timeoutNs),
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
            if (pendingByRequestId.get(call.requestId) != call) {
                continue; // answered already; deadlines are removed lazily
            }
            pendingByRequestId.remove(call.requestId);
            switch (call.kind) {
                case PING -> call.succeed(-1L);
                case STATUS -> call.succeed(null);
                case JOB -> call.fail(new JobTimeoutException("no result within " + Duration.ofNanos(call.waitNs)
                    + " from the broker at " + frontend, Duration.ofNanos(call.waitNs),
                    Duration.ofNanos(nowNs - call.sentNs)));
            }
        }
    }

    private void failAll(PowerhoseException error) {
        List<PendingCall> calls = new ArrayList<>(pendingByRequestId.values());
        pendingByRequestId.clear();
        byDeadline.clear();
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
