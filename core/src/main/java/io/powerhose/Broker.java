package io.powerhose;

import io.powerhose.internal.broker.AllowListWatcher;
import io.powerhose.internal.broker.BrokerConductor;
import io.powerhose.internal.broker.DispatcherSettings;
import io.powerhose.internal.broker.Zap;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Security;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A broker: routes each job from the frontend to the least-loaded ready worker on the backend, sends the
 * result back, and publishes a heartbeat. One thread, {@code powerhose-broker}, owns all its sockets.
 *
 * <pre>{@code
 * try (Broker broker = Broker.start(BrokerOptions.builder()
 *         .frontend("ipc:///run/app/front.ipc").backend("ipc:///run/app/back.ipc")
 *         .heartbeat("ipc:///run/app/beat.ipc").build())) {
 *     // workers connect to the backend, clients to the frontend
 * }
 * }</pre>
 *
 * <p>With a CURVE key ({@link BrokerOptions.Builder#curveSecretKey}) its three sockets are CURVE servers: traffic
 * is encrypted, and a ZAP handler on the broker's thread admits on the frontend only the client keys of
 * {@link BrokerOptions#allowClients()}, and on the backend and heartbeat only the worker keys of
 * {@link BrokerOptions#allowWorkers()} (docs/SECURITY.md). The lists are re-read by {@link #reloadAllowLists()} and
 * when their directory changes. Its ipc socket files are usable by their owner only, or a group.
 *
 * <p><b>Note:</b> thread safe. Start once, close once; not reusable. {@link #close()} stops taking jobs, lets
 * running jobs finish (up to {@link BrokerOptions#drainTimeout()}), then removes its ipc files.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    private static final Duration DUPLICATE_PING_TIMEOUT = Duration.ofSeconds(1);

    private final BrokerOptions options;
    private final BrokerConductor conductor;
    private final long pid = ProcessHandle.current().pid();
    private volatile boolean closed;
    private volatile AllowListWatcher allowListWatcher;

    private Broker(BrokerOptions options, Zap.Lists allowLists) {
        this.options = options;
        long intervalNs = options.heartbeatInterval().toNanos();
        DispatcherSettings settings = new DispatcherSettings(pid, intervalNs, intervalNs * options.liveness(),
            options.noWorkerGrace().toNanos(), options.maxQueuedJobs(), options.maxJobBytes(),
            options.legacyTimeout().toMillis(), options.maxReplyBytes(), options.maxWorkerCapacity(),
            options.maxWorkerPrefetch(), options.maxQueuedBytes());
        this.conductor = new BrokerConductor(options, settings, System::nanoTime, allowLists);
    }

    /**
     * Starts a broker: refuses when a live broker already answers on the frontend, then binds the three
     * endpoints and returns once they are bound.
     *
     * @param options the settings
     * @return the running broker
     * @throws DuplicateBrokerException when a broker already runs on the frontend
     * @throws PowerhoseException when an endpoint cannot be bound
     */
    public static Broker start(BrokerOptions options) {
        Objects.requireNonNull(options, "options");
        NativeLibrary.load();
        Zap.Lists allowLists = null;
        if (options.curveKey() != null) {
            allowLists = AllowListWatcher.load(options.allowClients(), options.allowWorkers(),
                options.curveKey().publicKey());
        }
        refuseDuplicate(options);
        warnWhenTheHeapIsSmall(options);
        Broker broker = new Broker(options, allowLists);
        broker.conductor.start();
        try {
            broker.conductor.started().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            broker.join();
            broker.removeIpcFiles();
            String message = "broker could not bind " + options.frontend() + ", " + options.backend() + ", "
                + options.heartbeat() + ": " + e.getCause().getMessage();
            if (e.getCause() instanceof ConfigurationException) {
                throw new ConfigurationException(message, e.getCause());
            }
            throw new PowerhoseException(message, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broker.close();
            throw new PowerhoseException("interrupted while starting the broker", e);
        } catch (TimeoutException e) {
            broker.close();
            throw new PowerhoseException("broker did not bind its endpoints within 10 s", e);
        }
        if (options.curveKey() != null) {
            broker.allowListWatcher = new AllowListWatcher(options.allowClients(), options.allowWorkers(),
                options.curveKey().publicKey(), options.watchAllowLists(), broker.conductor::replaceAllowLists);
        }
        LOG.info("broker started (pid {}): frontend {}, backend {}, heartbeat {}; {}", broker.pid, broker.frontend(),
            broker.backend(), broker.heartbeat(), describeSecurity(options, allowLists));
        if (options.curveKey() != null && (options.allowClients() == null || options.allowWorkers() == null)) {
            LOG.warn("CURVE without {}: any peer that knows the broker's public key may connect there (encrypted, "
                + "but not authenticated); give --allow-clients and --allow-workers to admit only known keys",
                options.allowWorkers() == null ? "an allow-list of workers" : "an allow-list of clients");
        }
        return broker;
    }

    private static String describeSecurity(BrokerOptions options, Zap.Lists lists) {
        if (options.curveKey() == null) {
            return "no security (NULL mechanism: anyone who reaches an endpoint is trusted)";
        }
        return "CURVE, public key " + options.curveKey().publicKey() + ", clients: " + lists.clients()
            + ", workers: " + lists.workers();
    }

    private static void refuseDuplicate(BrokerOptions options) {
        String frontend = options.frontend();
        if (!Probe.isListening(frontend)) {
            return;
        }
        // A broker with this broker's key admits it on its frontend (its own key is always allowed there).
        long livePid;
        try {
            livePid = Probe.ping(frontend, DUPLICATE_PING_TIMEOUT,
                Security.client(options.curveKey(), options.curveKey()));
        } catch (HandshakeFailedException e) {
            livePid = -1; // a broker with other security settings: it is there all the same
        }
        throw new DuplicateBrokerException(frontend, livePid);
    }

    /**
     * The heap holds the queued payloads and, while it passes through, a frame about twice (received, then sent
     * on). A frame the heap cannot hold is dropped unanswered; say so at start rather than when it happens.
     */
    private static void warnWhenTheHeapIsSmall(BrokerOptions options) {
        long largestFrame = Math.max(options.frontendMaxFrameBytes(), options.backendMaxFrameBytes());
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && options.maxQueuedBytes() + 2 * largestFrame > heap / 4 * 3) {
            LOG.warn("the heap ({} MiB) is small for {} MiB of queued jobs and frames of up to {} MiB "
                + "(maxQueuedBytes={}, maxJobBytes={}, maxReplyBytes={}): a frame the heap cannot hold is dropped "
                + "unanswered; lower the limits or raise -Xmx", heap >> 20, options.maxQueuedBytes() >> 20,
                largestFrame >> 20, options.maxQueuedBytes(), options.maxJobBytes(), options.maxReplyBytes());
        }
    }

    /** @return the settings */
    public BrokerOptions options() {
        return options;
    }

    /** @return the pid of the process the broker runs in */
    public long pid() {
        return pid;
    }

    /** @return the frontend as bound: for {@code tcp://HOST:*}, with the port the system chose */
    public String frontend() {
        return bound(0, options.frontend());
    }

    /** @return the backend as bound: for {@code tcp://HOST:*}, with the port the system chose */
    public String backend() {
        return bound(1, options.backend());
    }

    /** @return the heartbeat endpoint as bound: for {@code tcp://HOST:*}, with the port the system chose */
    public String heartbeat() {
        return bound(2, options.heartbeat());
    }

    private String bound(int index, String configured) {
        List<String> endpoints = conductor.boundEndpoints();
        return endpoints.size() > index ? endpoints.get(index) : configured;
    }

    /**
     * Re-reads the allow-list directories now (the broker also does when they change); the next handshakes use
     * them, connections made already stay. A key file that cannot be read is skipped with an error naming it (its
     * key is refused until it is fixed). Does nothing without CURVE. Any thread; the command-line broker calls it
     * on SIGHUP.
     */
    public void reloadAllowLists() {
        AllowListWatcher watcher = allowListWatcher;
        if (watcher != null) {
            watcher.reload("reload requested");
        }
    }

    /**
     * @return the broker's state and counters as of its last heartbeat, one {@code key=value} per line (the keys
     *     are listed in docs/PROTOCOL.md, "STATUS")
     * @throws PowerhoseException when the broker's thread has died: it answers nothing any more
     */
    public String status() {
        return conductor.lastStatus();
    }

    /**
     * The broker's state as one structured value: queue, jobs in flight, every STATUS counter and each worker. The
     * broker's thread publishes one after each heartbeat and at once when a worker registers, starts leaving or is
     * removed; this returns the latest, without waiting for the broker's thread.
     *
     * @return the latest snapshot
     * @throws PowerhoseException when the broker's thread has died: it answers nothing any more
     */
    public BrokerStatus statusSnapshot() {
        return conductor.lastSnapshot();
    }

    /**
     * @return the pids of the workers registered and not leaving, as of the last change
     * @throws PowerhoseException when the broker's thread has died
     */
    public java.util.Set<Long> registeredWorkerPids() {
        return conductor.activeWorkerPids();
    }

    /**
     * Tells the broker that a worker's process has exited, so that the jobs it held fail at once, even when its
     * connection stays open (a child process it started may hold the socket). {@link Cluster} calls it for the
     * workers it supervises; call it only for a process on this host whose exit you have seen: every worker
     * registered with that pid is forgotten (one on another host with the same pid registers again on its next
     * message, after failing the jobs it held). Any thread; returns at once.
     *
     * @param workerPid the pid of the worker process that exited
     */
    public void workerProcessExited(long workerPid) {
        conductor.onWorkerProcessExited(workerPid);
    }

    /** @return completes when the broker's thread ends: normally, or exceptionally with why it died */
    CompletableFuture<Void> ended() {
        return conductor.ended();
    }

    /**
     * Blocks until the broker stops (after {@link #close()} from another thread, or when its thread dies).
     *
     * @throws PowerhoseException when the broker's thread died instead of stopping when asked
     */
    public void awaitStop() {
        try {
            conductor.ended().handle((ignored, error) -> null).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // handle() completes normally
        }
        Throwable failure = conductor.failure();
        if (failure != null) {
            throw new PowerhoseException("the broker thread died: " + failure, failure);
        }
    }

    /**
     * Stops the broker: no new jobs, running jobs may finish within the drain timeout, then the sockets close
     * and the ipc files are removed. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        AllowListWatcher watcher = allowListWatcher;
        if (watcher != null) {
            watcher.close();
        }
        conductor.requestStop();
        join();
        removeIpcFiles();
        LOG.info("broker stopped (pid {})", pid);
    }

    private static Object fileKey(Path path) throws java.io.IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        return key != null ? key : Files.getLastModifiedTime(path);
    }

    private void removeIpcFiles() {
        for (Map.Entry<Path, Object> owned : conductor.boundIpcFiles().entrySet()) {
            try {
                // Remove only the file this broker bound: another broker may have bound the same path since.
                if (Files.exists(owned.getKey()) && owned.getValue().equals(fileKey(owned.getKey()))) {
                    Files.delete(owned.getKey());
                }
            } catch (java.io.IOException e) {
                LOG.warn("could not remove {}: {}", owned.getKey(), e.toString());
            }
        }
    }

    private void join() {
        conductor.close(options.drainTimeout().toMillis() + 5_000);
    }
}
