package io.powerhose.internal.broker;

import io.powerhose.BrokerOptions;
import io.powerhose.BrokerStatus;
import io.powerhose.TransportException;
import io.powerhose.internal.metrics.BrokerMetrics;
import io.powerhose.internal.metrics.Metrics;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.runner.DistinctErrorLog;
import io.powerhose.internal.runner.Loop;
import io.powerhose.internal.runner.LoopRunner;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.Native;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.SocketOption;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;

/**
 * The broker's one thread ({@code powerhose-broker}, run by a {@link LoopRunner}): it owns the frontend and backend
 * ROUTERs, the heartbeat PUB, a monitor of the backend's connections and the {@link Dispatcher}; with CURVE also the
 * ZAP handler ({@link ZapHandler}, polled in the same loop) and a monitor of the frontend. Each pass of its loop
 * polls with a timeout set by the next timer, drains what is readable, then runs the timers; the runner guards both
 * steps, so that neither a peer's message nor a bug in one pass ends the loop. A loop that fails on every pass for
 * {@link LoopRunner#FAILING_LOOP_NS} stops, and so does one that meets an {@link Error}: then {@link #failure()} says
 * why and {@link #lastStatus()} throws. Other threads call {@link #requestStop()} and {@link #post(Runnable)}, and
 * read the published snapshots.
 */
public final class BrokerConductor implements Loop, Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerConductor.class);
    private static final int BATCH = 256;
    /** The largest frame the heartbeat PUB reads: a subscription (workers subscribe to everything, "" ). */
    private static final long SUBSCRIPTION_MAX_BYTES = 1024;

    private final BrokerOptions options;
    private final DispatcherSettings settings;
    private final LongSupplier nanoClock;
    private final Wakeup wakeup = new Wakeup();
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final DistinctErrorLog errors = new DistinctErrorLog(LOG);
    private final LoopRunner runner;
    private volatile boolean running = true;
    private volatile String lastStatus = "";
    private volatile BrokerStatus lastSnapshot;
    private final BrokerMetrics metrics;
    private volatile Set<Long> activeWorkerPids = Set.of();
    private volatile Map<Path, Object> boundIpcFiles = Map.of();
    private volatile List<String> boundEndpoints = List.of();
    private final Zap.Lists allowLists;

    /** Receive buffers of {@link #drain}, reused every pass (the broker thread's only). */
    private final byte[][] routingIds = new byte[BATCH][];
    private final byte[][][] bodies = new byte[BATCH][][];

    private ZMQ.Context context;
    private ZMQ.Socket frontend;
    private ZMQ.Socket backend;
    private ZMQ.Socket beat;
    private Monitor backendMonitor;
    private Monitor frontendMonitor;
    private ZapHandler zap;
    private Dispatcher dispatcher;
    private ZMQ.Poller poller;
    private int frontendItem;
    private int backendItem;
    private int monitorItem;
    private int wakeItem;
    private int zapItem = -1;
    private int frontendMonitorItem = -1;
    private long nextTimerNs;
    private long stopByNs = Long.MAX_VALUE;

    /**
     * Creates the conductor and its thread; {@link #start()} binds and serves.
     *
     * @param options endpoints, socket bounds and the drain timeout
     * @param settings the dispatcher's settings
     * @param nanoClock the clock
     */
    public BrokerConductor(BrokerOptions options, DispatcherSettings settings, LongSupplier nanoClock) {
        this(options, settings, nanoClock, options.curveKey() == null ? null
            : new Zap.Lists(AllowList.any(), AllowList.any(), options.curveKey().publicKey()));
    }

    /**
     * Creates the conductor and its thread; {@link #start()} binds and serves.
     *
     * @param options endpoints, socket bounds, the drain timeout and the CURVE key
     * @param settings the dispatcher's settings
     * @param nanoClock the clock
     * @param allowLists the allow-lists the ZAP handler starts with (with CURVE), or null without CURVE
     */
    public BrokerConductor(BrokerOptions options, DispatcherSettings settings, LongSupplier nanoClock,
                           Zap.Lists allowLists) {
        this.options = options;
        this.settings = settings;
        this.nanoClock = nanoClock;
        this.metrics = Metrics.broker(options.meterRegistry());
        this.allowLists = options.curveKey() == null ? null : allowLists;
        this.runner = new LoopRunner(ThreadRole.BROKER, null, this, LOG);
    }

    /** Starts the broker thread. */
    public void start() {
        runner.start();
    }

    /**
     * Applies new allow-lists to the next handshakes (connections made already stay). Any thread.
     *
     * @param lists the lists just read
     */
    public void replaceAllowLists(Zap.Lists lists) {
        post(() -> {
            if (zap != null) {
                zap.replace(lists);
            }
        });
    }

    /**
     * @return the endpoints bound, in the order frontend, backend, heartbeat, with the tcp port the system chose
     *     for a {@code *} port; empty until {@link #started()} is done (any thread)
     */
    public List<String> boundEndpoints() {
        return boundEndpoints;
    }

    /** @return completes once the sockets are bound, or exceptionally when binding failed */
    public CompletableFuture<Void> started() {
        return runner.started();
    }

    /**
     * Asks the loop to drain and stop, and waits for its thread up to a bound (logging its stack if it is stuck).
     *
     * @param timeoutMs the longest wait
     */
    public void close(long timeoutMs) {
        runner.close(timeoutMs);
    }

    /** @return completes when the broker thread ends: normally, or exceptionally with {@link #failure()} */
    public CompletableFuture<Void> ended() {
        return runner.ended();
    }

    /** Asks the loop to drain and stop. Any thread. */
    @Override
    public void requestStop() {
        running = false;
        wakeup.wake();
    }

    /**
     * Runs a command on the broker thread, in its next pass. Any thread.
     *
     * @param command what to run; it may use the dispatcher
     */
    public void post(Runnable command) {
        commands.add(command);
        wakeup.wake();
    }

    /**
     * Tells the broker that a worker process has exited (any thread).
     *
     * @param pid the worker's pid
     */
    public void onWorkerProcessExited(long pid) {
        post(() -> {
            drainBackendBeforeJudging();
            dispatcher.onWorkerProcessExited(pid);
        });
    }

    /** @return the pids of registered workers that are not leaving, as of the last change (any thread) */
    public Set<Long> activeWorkerPids() {
        throwIfFailed();
        return activeWorkerPids;
    }

    /**
     * @return the STATUS text as of the last heartbeat or worker change (for logs and tests; any thread)
     * @throws io.powerhose.PowerhoseException when the loop has died: its last text would be stale
     */
    public String lastStatus() {
        throwIfFailed();
        return lastStatus;
    }

    /**
     * @return the broker's state as of the last heartbeat or worker change (any thread), or null before the loop
     *     started
     * @throws io.powerhose.PowerhoseException when the loop has died: the snapshot would be stale
     */
    public BrokerStatus lastSnapshot() {
        throwIfFailed();
        return lastSnapshot;
    }

    /** @return why the loop died, or null while it runs or after an orderly stop (any thread) */
    public Throwable failure() {
        return runner.failure();
    }

    /**
     * @return the ipc files this broker bound, each with the file key it had right after binding, so that only
     *     those are removed (another broker may bind the same path later); any thread, once {@link #started()} is
     *     done
     */
    public Map<Path, Object> boundIpcFiles() {
        return boundIpcFiles;
    }

    private void throwIfFailed() {
        runner.throwIfFailed("the broker thread");
    }

    @Override
    public void onStart() {
        context = ZMQ.context(1);
        dispatcher = new Dispatcher(settings, nanoClock, this, metrics);
        if (allowLists != null) {
            // Bound before any CURVE socket binds: a handshake with no handler to ask would be admitted.
            zap = new ZapHandler(context, allowLists, dispatcher.counters(), nanoClock);
            dispatcher.counters().security = "curve";
        }
        frontend = security(Security.FRONTEND_DOMAIN).apply(Sockets.create(context, ZMQ.ROUTER, options.frontendHwm()));
        frontend.setRouterMandatory(true);
        frontend.setMaxMsgSize(options.frontendMaxFrameBytes());
        backend = security(Security.BACKEND_DOMAIN).apply(Sockets.create(context, ZMQ.ROUTER, options.backendHwm()));
        backend.setRouterMandatory(true);
        backend.setMaxMsgSize(options.backendMaxFrameBytes());
        beat = security(Security.HEARTBEAT_DOMAIN).apply(Sockets.create(context, ZMQ.PUB, 1000));
        beat.setMaxMsgSize(SUBSCRIPTION_MAX_BYTES); // subscribers send only (un)subscriptions
        backendMonitor = new Monitor(context, backend);
        frontendMonitor = zap != null ? new Monitor(context, frontend) : null;
        IpcFiles ipc = new IpcFiles(options.ipcGroup());
        boundEndpoints = List.of(bind(frontend, options.frontend(), ipc), bind(backend, options.backend(), ipc),
            bind(beat, options.heartbeat(), ipc));
        publishStatus();
        poller = new ZMQ.Poller(6);
        frontendItem = poller.register(frontend, ZMQ.Poller.POLLIN);
        backendItem = poller.register(backend, ZMQ.Poller.POLLIN);
        monitorItem = backendMonitor.register(poller);
        wakeItem = wakeup.register(poller);
        zapItem = zap != null ? zap.register(poller) : -1;
        frontendMonitorItem = frontendMonitor != null ? frontendMonitor.register(poller) : -1;
        nextTimerNs = nanoClock.getAsLong();
    }

    @Override
    public void onClose() {
        try {
            metrics.close();
            Sockets.close(frontend);
            Sockets.close(backend);
            Sockets.close(beat);
            if (backendMonitor != null) {
                backendMonitor.close();
            }
            if (frontendMonitor != null) {
                frontendMonitor.close();
            }
            if (zap != null) {
                zap.close();
            }
            if (context != null) {
                context.term();
            }
        } finally {
            wakeup.close();
        }
    }

    private Security security(String zapDomain) {
        return Security.server(options.curveKey(), zapDomain);
    }

    /**
     * Binds, and remembers an ipc file this broker created, so that it is removed also when a later bind fails. An
     * ipc file is made usable by its owner only (or a group) before anyone can connect to it ({@link IpcFiles}).
     *
     * @return the endpoint as bound: a tcp port given as {@code *} is the one the system chose
     */
    private String bind(ZMQ.Socket socket, String endpoint, IpcFiles ipc) {
        if (!endpoint.startsWith("ipc://")) {
            Sockets.bind(socket, endpoint);
            byte[] last = Native.bytesOption(socket, SocketOption.LAST_ENDPOINT, 1024);
            int length = 0;
            while (length < last.length && last[length] != 0) {
                length++;
            }
            return length == 0 ? endpoint : new String(last, 0, length, StandardCharsets.US_ASCII);
        }
        Path path = ipc.bind(socket, endpoint);
        if (path != null) {
            try {
                Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
                Map<Path, Object> files = new LinkedHashMap<>(boundIpcFiles);
                files.put(path, key != null ? key : Files.getLastModifiedTime(path));
                boundIpcFiles = Map.copyOf(files);
            } catch (IOException e) {
                LOG.warn("cannot read {}: {}", path, e.toString());
            }
        }
        return endpoint;
    }

    @Override
    public void doWork() {
        long waitNs = Math.min(nextTimerNs, stopByNs) - nanoClock.getAsLong();
        Sockets.poll(poller, Sockets.pollTimeoutMs(waitNs));
        if (poller.pollin(wakeItem)) {
            wakeup.clear();
            runCommands();
        }
        if (zapItem >= 0 && poller.pollin(zapItem)) {
            for (int i = 0; i < 16 && zap.drain() > 0; i++) {
                // answer what waits, a bounded number of batches per pass
            }
        }
        if (poller.pollin(monitorItem)) {
            onMonitorEvents();
        }
        if (frontendMonitorItem >= 0 && poller.pollin(frontendMonitorItem)) {
            for (int event = frontendMonitor.poll(); event != 0; event = frontendMonitor.poll()) {
                onHandshakeEvent(event, frontendMonitor.lastValue(), "frontend");
            }
        }
        if (poller.pollin(backendItem)) {
            drain(backend, true);
        }
        if (poller.pollin(frontendItem)) {
            drain(frontend, false);
        }
    }

    /** The timers run in every pass, also after a failed drain, so that beats and expiry never starve. */
    @Override
    public void onTimers() {
        if (dispatcher.probeDue(nanoClock.getAsLong())) {
            drainBackendBeforeJudging();
        }
        nextTimerNs = dispatcher.onTimer();
        if (zap != null) {
            zap.onTimer();
        }
        if (dispatcher.takeWorkersChanged()) {
            activeWorkerPids = Set.copyOf(dispatcher.activeWorkerPids());
            publishStatus();
        }
    }

    /** Starts draining once asked to stop; true when the loop is done. */
    @Override
    public boolean isDone() {
        if (!running && stopByNs == Long.MAX_VALUE) {
            dispatcher.startDraining();
            stopByNs = nanoClock.getAsLong() + options.drainTimeout().toNanos();
        }
        if (stopByNs != Long.MAX_VALUE && (dispatcher.inFlightCount() == 0 || nanoClock.getAsLong() - stopByNs >= 0)) {
            dispatcher.abandonAll();
            return true;
        }
        return false;
    }

    @Override
    public void onError(RuntimeException error) {
        if (dispatcher != null) {
            dispatcher.counters().onInternalError();
        }
    }

    private void runCommands() {
        for (Runnable command = commands.poll(); command != null; command = commands.poll()) {
            try {
                command.run();
            } catch (RuntimeException e) {
                onError(e);
                errors.record("error in a command posted to the broker: " + e.getClass().getName(), e.toString());
            }
        }
    }

    private void onMonitorEvents() {
        boolean closed = false;
        for (int event = backendMonitor.poll(); event != 0; event = backendMonitor.poll()) {
            closed |= event == Monitor.EVENT_DISCONNECTED;
            onHandshakeEvent(event, backendMonitor.lastValue(), "backend");
        }
        if (closed) {
            drainBackendBeforeJudging();
            dispatcher.onConnectionClosed();
        }
    }

    /**
     * Reads what the workers sent before a connection closed or a process exited, so that a last REPLY counts
     * before the worker is judged: getEvents lets the ROUTER take in what libzmq's I/O thread queued, the pipe
     * termination included, and the drain handles every message waiting (a bounded number of batches).
     */
    private void drainBackendBeforeJudging() {
        backend.getEvents();
        for (int i = 0; i < 16 && drain(backend, true) == BATCH; i++) {
            // more may wait
        }
    }

    /**
     * Handles up to {@link #BATCH} waiting messages, taken in one call with their routing ids split off.
     *
     * @return how many were taken (a full batch means more may wait)
     */
    private int drain(ZMQ.Socket socket, boolean fromWorkers) {
        int count;
        try {
            count = Sockets.receiveBatch(socket, routingIds, bodies, BATCH);
        } catch (TransportException e) {
            if (e.errorCode() != Native.ENOMEM) {
                throw e;
            }
            // A message within the frame limit that the heap cannot hold: it is lost, its sender gets no answer.
            dispatcher.counters().onUnreadable();
            errors.record("a message too large for the free heap was dropped", e.getMessage());
            return BATCH;
        }
        for (int i = 0; i < count; i++) {
            byte[] routingId = routingIds[i];
            byte[][] body = bodies[i];
            routingIds[i] = null;
            bodies[i] = null;
            dispatcher.counters().onReceived(fromWorkers, bytes(body));
            try {
                if (fromWorkers) {
                    dispatcher.onWorkerMessage(routingId, body);
                } else {
                    dispatcher.onClientMessage(routingId, body);
                }
            } catch (RuntimeException e) {
                // The loop never dies of input: count, log once per kind of error, carry on.
                onError(e);
                errors.record("error handling a message from a " + (fromWorkers ? "worker" : "client") + ": "
                    + e.getClass().getName(), e.toString());
            }
        }
        return count;
    }

    @Override
    public boolean toWorker(byte[] routingId, byte[][] frames) {
        int result = Sockets.offer(backend, routingId, frames);
        if (result == Sockets.FULL) {
            dispatcher.counters().onBackendFull();
        } else if (result == Sockets.SENT) {
            dispatcher.counters().onSent(true, bytes(frames));
        }
        return result == Sockets.SENT;
    }

    @Override
    public boolean toClient(byte[] routingId, byte[][] frames) {
        int result = Sockets.offer(frontend, routingId, frames);
        if (result == Sockets.FULL) {
            dispatcher.counters().onFrontendFull();
        } else if (result == Sockets.SENT) {
            dispatcher.counters().onSent(false, bytes(frames));
        }
        return result == Sockets.SENT;
    }

    /**
     * Counts and logs (once per kind) a handshake the broker refused before any ZAP question: a peer without CURVE,
     * one that uses another server key, or bytes that are not a ZMTP handshake. ZAP denials are counted by the ZAP
     * handler.
     */
    private void onHandshakeEvent(int event, int value, String socket) {
        if (!Monitor.isHandshakeFailure(event) || event == Monitor.EVENT_HANDSHAKE_FAILED_AUTH) {
            return;
        }
        dispatcher.counters().handshakeFailures++;
        String kind;
        if (event == Monitor.EVENT_HANDSHAKE_FAILED_PROTOCOL && value == Monitor.PROTOCOL_ERROR_MECHANISM_MISMATCH) {
            kind = "a peer without CURVE (or with another mechanism)";
        } else if (event == Monitor.EVENT_HANDSHAKE_FAILED_PROTOCOL
            && value == Monitor.PROTOCOL_ERROR_CRYPTOGRAPHIC) {
            kind = "a CURVE peer that does not use this broker's public key as its server key";
        } else if (event == Monitor.EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            kind = "a malformed handshake (ZMTP protocol error 0x" + Integer.toHexString(value) + ")";
        } else {
            kind = "a connection closed during its handshake";
        }
        errors.record("refused a connection on the " + socket + ": " + kind,
            "the handshake failed; it is not admitted");
    }

    @Override
    public void beat() {
        Sockets.send(beat, null, BackendCodec.beat());
        publishStatus();
    }

    /** Publishes the STATUS text and the snapshot for other threads, and hands the snapshot to the metrics. */
    private void publishStatus() {
        long nowNs = nanoClock.getAsLong();
        lastStatus = dispatcher.statusText(nowNs);
        BrokerStatus snapshot = dispatcher.statusSnapshot(nowNs);
        lastSnapshot = snapshot;
        metrics.onStatus(snapshot);
    }

    private static long bytes(byte[][] frames) {
        long total = 0;
        for (byte[] frame : frames) {
            total += frame.length;
        }
        return total;
    }

}
