package io.powerhose;

import io.powerhose.internal.Defaults;
import io.powerhose.internal.worker.BeatWatch;
import io.powerhose.internal.runner.Loop;
import io.powerhose.internal.runner.LoopRunner;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Listens to a {@link Heartbeat} (or a broker's beat) and reports when it is lost: no beat for
 * {@code retries × delay} after {@code warmupDelay}. {@code onBeatLost} returns true to stop listening, false
 * to wait for another window. The {@link Worker} does the same check on its own socket thread.
 *
 * <p><b>Note:</b> thread safe. Start once, stop once; not reusable. The callbacks run on its one thread,
 * {@code powerhose-stethoscope}, which owns the SUB socket.
 */
public final class Stethoscope implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Stethoscope.class);
    private final String endpoint;
    private final Duration warmupDelay;
    private final Duration delay;
    private final int retries;
    private final BooleanSupplier onBeatLost;
    private final Runnable onBeat;
    private final LoopRunner runner;

    /**
     * Creates a stethoscope with the documented defaults: warm-up 0.5 s, delay 10 s, 3 retries.
     *
     * @param endpoint the heartbeat endpoint to listen to
     * @param onBeatLost called when the beat is lost; returns true to stop
     * @param onBeat called on every beat
     */
    public Stethoscope(String endpoint, BooleanSupplier onBeatLost, Runnable onBeat) {
        this(endpoint, Duration.ofMillis(500), Defaults.PING_DELAY, Defaults.PING_RETRIES, onBeatLost, onBeat);
    }

    /**
     * Creates a stethoscope.
     *
     * @param endpoint the heartbeat endpoint to listen to
     * @param warmupDelay time before the first window starts
     * @param delay time between two checks
     * @param retries checks without a beat before the beat counts as lost
     * @param onBeatLost called when the beat is lost; returns true to stop
     * @param onBeat called on every beat
     */
    public Stethoscope(String endpoint, Duration warmupDelay, Duration delay, int retries,
                       BooleanSupplier onBeatLost, Runnable onBeat) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.warmupDelay = Objects.requireNonNull(warmupDelay, "warmupDelay");
        this.delay = Objects.requireNonNull(delay, "delay");
        Settings.notNegative("warmupDelay", warmupDelay);
        Settings.positive("delay", delay);
        if (retries < 1) {
            throw new ConfigurationException("retries=" + retries + " must be 1 or more");
        }
        this.retries = retries;
        this.onBeatLost = Objects.requireNonNull(onBeatLost, "onBeatLost");
        this.onBeat = Objects.requireNonNull(onBeat, "onBeat");
        this.runner = new LoopRunner(ThreadRole.STETHOSCOPE, null, new Listening(), LOG);
    }

    /** Connects and starts listening. */
    public void start() {
        NativeLibrary.load();
        runner.start();
    }

    /** Stops listening. Idempotent; must not be called from a callback. */
    public void stop() {
        runner.close(5_000);
    }

    @Override
    public void close() {
        stop();
    }

    /** The loop of {@code powerhose-stethoscope}: one SUB, and the callbacks. */
    private final class Listening implements Loop {
        private final Wakeup wakeup = new Wakeup();
        private volatile boolean running = true;
        private ZMQ.Context context;
        private ZMQ.Socket socket;
        private ZMQ.Poller poller;
        private int beatItem;
        private BeatWatch watch;

        @Override
        public void onStart() {
            context = ZMQ.context(1);
            socket = Sockets.create(context, ZMQ.SUB, 0);
            socket.subscribe(new byte[0]);
            socket.connect(endpoint);
            poller = new ZMQ.Poller(2);
            beatItem = poller.register(socket, ZMQ.Poller.POLLIN);
            wakeup.register(poller);
            watch = new BeatWatch(System.nanoTime(), warmupDelay.toNanos(), delay.toNanos(), retries);
        }

        @Override
        public void doWork() {
            Sockets.poll(poller, Sockets.pollTimeoutMs(watch.deadlineNs() - System.nanoTime()));
            wakeup.clear();
            if (poller.pollin(beatItem)) {
                while (Sockets.receive(socket).length > 0) {
                    watch.onBeat(System.nanoTime());
                    onBeat.run();
                }
            }
        }

        @Override
        public void onTimers() {
            long nowNs = System.nanoTime();
            if (running && watch.isLost(nowNs)) {
                if (onBeatLost.getAsBoolean()) {
                    running = false;
                    return;
                }
                watch.restart(nowNs);
            }
        }

        @Override
        public boolean isDone() {
            return !running;
        }

        @Override
        public void onClose() {
            try {
                Sockets.close(socket);
                if (context != null) {
                    context.term();
                }
            } finally {
                wakeup.close();
            }
        }

        @Override
        public void requestStop() {
            running = false;
            wakeup.wake();
        }
    }
}
