package io.powerhose.internal.beat;

import io.powerhose.Broker;
import io.powerhose.BrokerOptions;
import io.powerhose.PowerhoseException;
import io.powerhose.internal.Durations;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.runner.LoopRunner;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Sockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

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
        Durations.requirePositive("interval", interval);
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
    private static final class Beats extends OneSocketLoop {
        private final String endpoint;
        private final long intervalNs;
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
            Sockets.bind(socket, endpoint);
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
                Sockets.send(socket, null, BackendCodec.beat());
                nextNs = nowNs + intervalNs;
            }
        }
    }
}
