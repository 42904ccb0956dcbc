package io.powerhose;

import io.powerhose.internal.process.Threads;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
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
    static final byte[] BEAT = "BEAT".getBytes(StandardCharsets.US_ASCII);

    private final String endpoint;
    private final Duration interval;
    private final Wakeup wakeup = new Wakeup();
    private final CompletableFuture<Void> bound = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean running = true;

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
        this.interval = Objects.requireNonNull(interval, "interval");
        Settings.positive("interval", interval);
        this.thread = new Thread(this::run, "powerhose-heartbeat");
    }

    /** Binds and starts beating; returns once bound. */
    public void start() {
        NativeLibrary.load();
        thread.start();
        try {
            bound.get();
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
        running = false;
        wakeup.wake();
        Threads.joinOrReport(thread, 5_000, LOG);
    }

    @Override
    public void close() {
        stop();
    }

    private void run() {
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket socket = Sockets.create(context, ZMQ.PUB, 1000);
        try {
            try {
                Sockets.bind(socket, endpoint);
            } catch (RuntimeException e) {
                bound.completeExceptionally(e);
                return;
            }
            bound.complete(null);
            ZMQ.Poller poller = new ZMQ.Poller(1);
            wakeup.register(poller);
            long intervalMs = Math.max(1, interval.toMillis());
            long nextNs = System.nanoTime();
            while (running) {
                long nowNs = System.nanoTime();
                if (nowNs - nextNs >= 0) {
                    Sockets.send(socket, null, new byte[][] {BEAT});
                    nextNs = nowNs + intervalMs * 1_000_000;
                }
                Sockets.poll(poller, Math.max(1, (nextNs - nowNs) / 1_000_000));
                wakeup.clear();
            }
        } finally {
            socket.close();
            context.term();
            wakeup.close();
        }
    }
}
