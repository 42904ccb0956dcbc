package io.powerhose;

import io.powerhose.internal.Durations;
import io.powerhose.internal.cluster.Supervisor;
import io.powerhose.internal.cluster.WorkerMain;
import io.powerhose.internal.process.ClassPath;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.internal.worker.Targets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One broker and N worker processes, kept running: the documented {@code get_cluster}. Workers are child JVMs
 * running a target, or any command line (workers in C, Python, ...). With {@link ClusterOptions.Builder#noBroker}
 * it runs the workers only, for a host whose workers serve a broker on another host (docs/OPERATIONS.md, "Across
 * machines").
 *
 * <pre>{@code
 * try (Cluster cluster = Cluster.start(ClusterOptions.builder("com.example.Resize")  // your JobHandler
 *         .numProcesses(4).background(true).build());
 *      Client client = new Client()) {
 *     client.execute("test");
 *     cluster.scale(8);
 * }
 * }</pre>
 *
 * <p>It respawns a worker that exits (max-age recycling relies on it), backs off when one dies right after it
 * starts and gives up on a slot after several quick deaths in a row. {@link #stop()} is graceful: no new jobs,
 * running jobs finish within the stop grace, workers get SIGTERM then SIGKILL, the broker stops and removes
 * its ipc files; a shutdown hook does the same when the owning JVM exits. Every worker also leaves on its own
 * when this JVM ends, even by SIGKILL (it watches the pid in {@code POWERHOSE_PARENT_PID}).
 *
 * <p>Java workers run {@code io.powerhose.internal.cluster.WorkerMain}, which needs only this library, jzmq and
 * slf4j, with the class path given by {@link ClusterOptions.Builder#workerClassPath}, or else one worked out from
 * the classes this JVM actually loaded: {@code java.class.path}, the {@code file:} URLs of the class loaders of
 * the target's class and of the context class loader, and the jars or folders the target class, this library,
 * jzmq, slf4j and the slf4j binding in use were loaded from. That covers {@code java -cp}, shaded jars,
 * {@code mvn exec:java}, IDEs and test runners; launchers that load jars nested in jars need the option. Workers
 * log through the application's own slf4j binding (with the {@code powerhose-commands} jar on the class path,
 * through the commands' logback set-up, with {@code --logfile} rotation).
 *
 * <p><b>Note:</b> thread safe. Start once, stop once; not reusable.
 */
public final class Cluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final ClusterOptions options;
    private final String workerClassPath;
    private final Broker broker;
    private final Supervisor supervisor;
    private final Thread shutdownHook;
    private final Object stopLock = new Object();
    private volatile boolean stopped;
    private volatile PowerhoseException brokerFailure;

    private Cluster(ClusterOptions options) {
        this.options = options;
        if (options.target() != null) {
            // Fail fast, in this JVM, on a target that child JVMs on the same classpath could not load either.
            Targets.resolve(options.target(), options.workerParams());
            this.workerClassPath = options.workerClassPath() != null ? ClassPath.join(options.workerClassPath())
                : ClassPath.join(ClassPath.of(List.of(Targets.targetClass(options.target()), Cluster.class,
                    ZMQ.class, LoggerFactory.class, LoggerFactory.getILoggerFactory().getClass())));
        } else {
            this.workerClassPath = null;
        }
        checkLogfile(options);
        this.broker = options.noBroker() ? null
            : Broker.start(options.broker().newBuilder().drainTimeout(options.stopGrace()).build());
        this.supervisor = new Supervisor(options, this::workerCommand, this::workerLog,
            broker == null ? pid -> { } : broker::workerProcessExited);
        this.shutdownHook = ThreadRole.SHUTDOWN.newThread(this::stop, "cluster");
    }

    /**
     * Starts a cluster. With {@code background} it returns once every worker has registered with the broker;
     * without, it blocks until {@link #stop()} is called from another thread (or the JVM exits).
     *
     * @param options the settings
     * @return the running (or, without background, the stopped) cluster
     * @throws ConfigurationException when the target cannot be loaded, the log file cannot be written, or a worker
     *     cannot run at all (it exits with code 3, or its command cannot be started)
     * @throws PowerhoseException when the workers do not come up
     */
    public static Cluster start(ClusterOptions options) {
        Objects.requireNonNull(options, "options");
        Cluster cluster = new Cluster(options);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        cluster.supervisor.start();
        if (cluster.broker != null) {
            cluster.broker.ended().whenComplete((ignored, error) -> cluster.onBrokerEnded(error));
        }
        cluster.supervisor.scale(options.numProcesses());
        try {
            cluster.awaitWorkers(options.numProcesses(), START_TIMEOUT);
        } catch (RuntimeException e) {
            cluster.stop();
            throw e;
        }
        LOG.info("workers started");
        if (!options.background()) {
            cluster.awaitStop();
        }
        return cluster;
    }

    /** @return the settings */
    public ClusterOptions options() {
        return options;
    }

    /**
     * @return the broker's pid (this JVM's: the broker runs in the cluster's process), or -1 with
     *     {@link ClusterOptions.Builder#noBroker}
     */
    public long brokerPid() {
        return broker == null ? -1 : broker.pid();
    }

    /** @return the broker, or null with {@link ClusterOptions.Builder#noBroker} */
    public Broker broker() {
        return broker;
    }

    /** @return each worker slot's pid, state, age and restart count */
    public List<WorkerInfo> workers() {
        return supervisor.workers();
    }

    /**
     * Sets the number of workers while jobs run: new ones start, removed ones finish their job first.
     *
     * @param count the new number of workers
     */
    public void scale(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count=" + count + " must be 0 or more");
        }
        supervisor.scale(count);
    }

    /**
     * Waits until exactly this many worker processes run and are registered with the broker; with
     * {@link ClusterOptions.Builder#noBroker}, only until they run (the remote broker may not be reachable yet:
     * they register once it is).
     *
     * @param count the number of workers
     * @param timeout the longest wait
     * @throws ConfigurationException when a worker cannot run at all (it exits with code 3, or its command
     *     cannot be started)
     * @throws PowerhoseException when they are not up in time, or a slot stopped being respawned
     */
    public void awaitWorkers(int count, Duration timeout) {
        long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true) {
            String failure = supervisor.failure();
            if (failure != null) {
                if (supervisor.failureIsConfiguration()) {
                    throw new ConfigurationException("cluster workers cannot run: " + failure);
                }
                throw new PowerhoseException("cluster workers failed: " + failure);
            }
            Set<Long> running = workers().stream().filter(w -> w.state() == WorkerInfo.State.RUNNING)
                .map(WorkerInfo::pid).collect(Collectors.toSet());
            Set<Long> registered = broker == null ? running : broker.registeredWorkerPids();
            if (running.size() == count && registered.containsAll(running) && registered.size() == count) {
                return;
            }
            if (System.nanoTime() - deadlineNs > 0) {
                throw new PowerhoseException("expected " + count + " workers within " + Durations.text(timeout)
                    + "; running "
                    + running + ", registered " + registered);
            }
            sleepQuietly(20);
        }
    }

    /**
     * Blocks until the cluster is stopped.
     *
     * @throws PowerhoseException when it stopped because its broker's thread died
     */
    public void awaitStop() {
        synchronized (stopLock) {
            while (!stopped) {
                try {
                    stopLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        PowerhoseException failure = brokerFailure;
        if (failure != null) {
            throw new PowerhoseException("the cluster stopped because its broker died: " + failure.getMessage(),
                failure);
        }
    }

    /** Waits for the broker's thread; when it dies, the cluster stops (its workers would serve no one). */
    /** Runs on the broker's thread as it ends: a broker that died stops the cluster, from a thread of its own. */
    private void onBrokerEnded(Throwable error) {
        if (error == null) {
            return;
        }
        brokerFailure = new PowerhoseException("the broker thread died: " + error, error);
        LOG.error("the broker died: stopping the cluster");
        ThreadRole.SHUTDOWN.newThread(this::stop, "cluster").start();
    }

    /**
     * Stops gracefully: workers get SIGTERM (they take no new job and finish their running one within the stop
     * grace) then SIGKILL; jobs that found no worker are answered {@link NoWorkerException}; then the broker stops
     * and removes its ipc files. Idempotent.
     */
    public void stop() {
        synchronized (stopLock) {
            if (stopped) {
                return;
            }
            stopped = true;
        }
        LOG.info("stopping the cluster");
        // Workers first, while the broker still answers: each one sends DISCONNECT, gets no new job, finishes its
        // running job, gets the broker's DISCONNECT answer and exits. With the broker closed first, a worker that
        // waits for that answer as PROTOCOL.md says (the C and Python ones: up to 5 s) could only time out.
        try {
            supervisor.stopAll(options.stopGrace()).get(options.stopGrace().toMillis() + 30_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.error("workers did not all stop: {}", e.toString());
        }
        if (broker != null) {
            broker.close();
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down
            }
        }
        synchronized (stopLock) {
            stopLock.notifyAll();
        }
        LOG.info("cluster stopped");
    }

    @Override
    public void close() {
        stop();
    }

    private List<String> workerCommand(int slot) {
        // The running broker's endpoints: a tcp port given as * is the one the system chose.
        List<String> args = new ArrayList<>(List.of(
            "--backend", broker == null ? options.workerBackend() : broker.backend(),
            "--heartbeat", broker == null ? options.workerHeartbeat() : broker.heartbeat(),
            "--timeout", seconds(options.timeout())));
        if (options.maxAge() != null) {
            args.addAll(List.of("--max-age", seconds(options.maxAge()), "--max-age-delta",
                seconds(options.maxAgeDelta())));
        }
        if (options.brokerPublicKeyFile() != null) {
            // Paths, not keys: a command line is readable by every user of the host.
            args.addAll(List.of("--curve-server-key", options.brokerPublicKeyFile().toAbsolutePath().toString()));
            if (options.workerCurveKey() != null) {
                args.addAll(List.of("--curve-key", options.workerCurveKey().file().toAbsolutePath().toString()));
            }
        }
        if (!options.workerParams().isEmpty()) {
            args.addAll(List.of("--params", options.workerParams().entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining("|"))));
        }
        if (options.workerCommand() != null) {
            List<String> command = new ArrayList<>(options.workerCommand());
            command.addAll(args);
            return command;
        }
        if (options.debug()) {
            args.add("--debug");
        }
        File log = workerLog(slot);
        args.addAll(List.of("--logfile", log == null ? "stdout" : log.getPath()));
        args.add(options.target());
        return JavaCommand.of(WorkerMain.class.getName(), workerClassPath, options.workerJvmOptions(), args);
    }

    /** A log file that cannot be written is a configuration error now, not a cluster of workers with no log. */
    private static void checkLogfile(ClusterOptions options) {
        String logfile = options.logfile();
        if (logfile.equals("stdout") || logfile.equals("stderr") || logfile.equals("-")) {
            return;
        }
        Path path = Path.of(logfile + ".worker-0").toAbsolutePath();
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            Files.newOutputStream(path, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND).close();
        } catch (IOException | RuntimeException e) {
            throw new ConfigurationException("logfile=" + logfile + ": cannot write " + path + " (" + e + ")", e);
        }
    }

    private File workerLog(int slot) {
        String logfile = options.logfile();
        if (logfile.equals("stdout") || logfile.equals("stderr") || logfile.equals("-")) {
            return null;
        }
        return new File(logfile + ".worker-" + slot).getAbsoluteFile();
    }

    private static String seconds(Duration duration) {
        return Double.toString(duration.toNanos() / 1e9);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PowerhoseException("interrupted while waiting for workers", e);
        }
    }

}
