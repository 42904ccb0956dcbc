package io.powerhose;

import io.powerhose.internal.runner.Loop;
import io.powerhose.internal.runner.LoopRunner;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;

/**
 * Publishes a beat ({@code BEAT}) on a PUB socket every interval, for {@link Stethoscope}s to hear. The
 * {@link Broker} publishes its own beat; this class is for programs that want the same signal.
 *
 * <p><b>Note:</b> thread safe. Start once, stop once; not reusable. One thread, {@code powerhose-heartbeat},
 * owns the socket.
 */
public final class Heartbeat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);
    private static final byte[][] BEAT = {"BEAT".getBytes(StandardCharsets.US_ASCII)};

    private final String endpoint;
    private final LoopRunner runner;
    private final Beats beats;

    /** Creates a heartbeat on {@link BrokerOptions#DEFAULT_HEARTBEAT} every 10 s (the documented defaults). */
    public Heartbeat() {
        this(BrokerOptions.DEFAULT_HEARTBEAT, Duration.ofSeconds(10));
    }

    /**
     * Creates a heartbeat.
     *
     * @param endpoint where to bind the PUB socket
     * @param interval time between two beats
     */
    public Heartbeat(String endpoint, Duration interval) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(interval, "interval");
        Settings.positive("interval", interval);
        this.beats = new Beats(endpoint, interval.toNanos());
        this.runner = new LoopRunner(ThreadRole.HEARTBEAT, null, beats, LOG);
    }

    /** Binds and starts beating; returns once bound. */
    public void start() {
        NativeLibrary.load();
        runner.start();
        try {
            runner.started().get();
        } catch (ExecutionException e) {
            throw new PowerhoseException("heartbeat could not bind " + endpoint + ": " + e.getCause().getMessage(),
                e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PowerhoseException("interrupted while starting the heartbeat", e);
        }
    }

    /** Stops beating and closes the socket. Idempotent. */
    public void stop() {
        runner.close(5_000);
    }

    @Override
    public void close() {
        stop();
    }

    /** The loop of {@code powerhose-heartbeat}: one PUB, one beat per interval. */
    private static final class Beats implements Loop {
        private final String endpoint;
        private final long intervalNs;
        private final Wakeup wakeup = new Wakeup();
        private volatile boolean running = true;
        private ZMQ.Context context;
        private ZMQ.Socket socket;
        private ZMQ.Poller poller;
        private long nextNs;

        Beats(String endpoint, long intervalNs) {
            this.endpoint = endpoint;
            this.intervalNs = intervalNs;
        }

        @Override
        public void onStart() {
            context = ZMQ.context(1);
            socket = Sockets.create(context, ZMQ.PUB, 1000);
            socket.bind(endpoint);
            poller = new ZMQ.Poller(1);
            wakeup.register(poller);
            nextNs = System.nanoTime();
        }

        @Override
        public void doWork() {
            Sockets.poll(poller, Sockets.pollTimeoutMs(nextNs - System.nanoTime()));
            wakeup.clear();
        }

        @Override
        public void onTimers() {
            long nowNs = System.nanoTime();
            if (running && nowNs - nextNs >= 0) {
                Sockets.send(socket, null, BEAT);
                nextNs = nowNs + intervalNs;
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
