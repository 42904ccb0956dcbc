package io.powerhose.internal.broker;

import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The broker's one thread ({@code powerhose-broker}): it owns the frontend and backend ROUTERs, the heartbeat
 * PUB and the {@link Dispatcher}. Each pass of its loop polls with a timeout set by the next timer, drains
 * what is readable, then runs the timers. Other threads only call {@link #requestStop()}.
 */
public final class BrokerConductor implements Runnable, Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerConductor.class);
    private static final int BATCH = 256;
    private static final byte[][] BEAT = {"BEAT".getBytes(StandardCharsets.US_ASCII)};

    private final String frontendEndpoint;
    private final String backendEndpoint;
    private final String heartbeatEndpoint;
    private final long drainTimeoutNs;
    private final DispatcherSettings settings;
    private final LongSupplier nanoClock;
    private final Wakeup wakeup = new Wakeup();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final DistinctErrorLog errors = new DistinctErrorLog(LOG);
    private volatile boolean running = true;
    private volatile String lastStatus = "";
    private volatile java.util.Set<Long> activeWorkerPids = java.util.Set.of();

    /** Receive buffers of {@link #drain}, reused every pass (the broker thread's only). */
    private final byte[][] routingIds = new byte[BATCH][];
    private final byte[][][] bodies = new byte[BATCH][][];

    private ZMQ.Socket frontend;
    private ZMQ.Socket backend;
    private ZMQ.Socket beat;
    private Dispatcher dispatcher;

    /**
     * Creates the conductor; {@link #run()} binds and serves.
     *
     * @param frontend frontend endpoint
     * @param backend backend endpoint
     * @param heartbeat heartbeat endpoint
     * @param drainTimeoutNs how long stopping waits for running jobs
     * @param settings the dispatcher's settings
     * @param nanoClock the clock
     */
    public BrokerConductor(String frontend, String backend, String heartbeat, long drainTimeoutNs,
                           DispatcherSettings settings, LongSupplier nanoClock) {
        this.frontendEndpoint = frontend;
        this.backendEndpoint = backend;
        this.heartbeatEndpoint = heartbeat;
        this.drainTimeoutNs = drainTimeoutNs;
        this.settings = settings;
        this.nanoClock = nanoClock;
    }

    /** @return completes once the sockets are bound, or exceptionally when binding failed */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** Asks the loop to drain and stop. Any thread. */
    public void requestStop() {
        running = false;
        wakeup.wake();
    }

    /** @return the pids of registered workers that are not leaving, as of the last change (any thread) */
    public java.util.Set<Long> activeWorkerPids() {
        return activeWorkerPids;
    }

    /** @return the STATUS text as of the last heartbeat or worker change (for logs and tests; any thread) */
    public String lastStatus() {
        return lastStatus;
    }

    @Override
    public void run() {
        ZMQ.Context context = ZMQ.context(1);
        try {
            try {
                frontend = Sockets.create(context, ZMQ.ROUTER, 0);
                frontend.setRouterMandatory(true);
                backend = Sockets.create(context, ZMQ.ROUTER, 0);
                backend.setRouterMandatory(true);
                beat = Sockets.create(context, ZMQ.PUB, 1000);
                frontend.bind(frontendEndpoint);
                backend.bind(backendEndpoint);
                beat.bind(heartbeatEndpoint);
            } catch (RuntimeException e) {
                started.completeExceptionally(e);
                return;
            }
            dispatcher = new Dispatcher(settings, nanoClock, this);
            started.complete(null);
            serve();
        } finally {
            closeQuietly(frontend);
            closeQuietly(backend);
            closeQuietly(beat);
            context.term();
            wakeup.close();
        }
    }

    private void serve() {
        ZMQ.Poller poller = new ZMQ.Poller(3);
        int frontendItem = poller.register(frontend, ZMQ.Poller.POLLIN);
        int backendItem = poller.register(backend, ZMQ.Poller.POLLIN);
        int wakeItem = wakeup.register(poller);
        long nextTimerNs = dispatcher.onTimer();
        long stopByNs = Long.MAX_VALUE;
        while (true) {
            if (!running && stopByNs == Long.MAX_VALUE) {
                dispatcher.startDraining();
                stopByNs = nanoClock.getAsLong() + drainTimeoutNs;
            }
            if (stopByNs != Long.MAX_VALUE && (dispatcher.inFlightCount() == 0
                || nanoClock.getAsLong() - stopByNs >= 0)) {
                dispatcher.abandonAll();
                return;
            }
            long waitNs = Math.min(nextTimerNs, stopByNs) - nanoClock.getAsLong();
            long waitMs = Sockets.pollTimeoutMs(waitNs);
            Sockets.poll(poller, waitMs);
            if (poller.pollin(wakeItem)) {
                wakeup.clear();
            }
            if (poller.pollin(backendItem)) {
                drain(backend, true);
            }
            if (poller.pollin(frontendItem)) {
                drain(frontend, false);
            }
            nextTimerNs = dispatcher.onTimer();
            if (dispatcher.takeWorkersChanged()) {
                activeWorkerPids = java.util.Set.copyOf(dispatcher.activeWorkerPids());
                lastStatus = dispatcher.statusText(nanoClock.getAsLong());
            }
        }
    }

    /** Handles up to {@link #BATCH} waiting messages, taken in one call with their routing ids split off. */
    private void drain(ZMQ.Socket socket, boolean fromWorkers) {
        int count = Sockets.receiveBatch(socket, routingIds, bodies, BATCH);
        for (int i = 0; i < count; i++) {
            byte[] routingId = routingIds[i];
            byte[][] body = bodies[i];
            routingIds[i] = null;
            bodies[i] = null;
            try {
                if (fromWorkers) {
                    dispatcher.onWorkerMessage(routingId, body);
                } else {
                    dispatcher.onClientMessage(routingId, body);
                }
            } catch (RuntimeException e) {
                // The loop never dies of input: count, log once per distinct error, carry on.
                errors.record("error handling a message from a " + (fromWorkers ? "worker" : "client") + ": " + e);
                LOG.debug("stack of the error", e);
            }
        }
    }

    @Override
    public boolean toWorker(byte[] routingId, byte[][] frames) {
        return Sockets.send(backend, routingId, frames);
    }

    @Override
    public boolean toClient(byte[] routingId, byte[][] frames) {
        return Sockets.send(frontend, routingId, frames);
    }

    @Override
    public void beat() {
        Sockets.send(beat, null, BEAT);
        lastStatus = dispatcher.statusText(nanoClock.getAsLong());
    }

    private static void closeQuietly(ZMQ.Socket socket) {
        if (socket != null) {
            socket.close();
        }
    }
}
