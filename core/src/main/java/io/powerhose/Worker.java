package io.powerhose;

import io.powerhose.internal.runner.LoopRunner;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.worker.Targets;
import io.powerhose.internal.worker.WorkerConductor;
import io.powerhose.internal.zmq.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;

/**
 * A worker: connects to a broker's backend, runs each job it is sent with its {@link JobHandler}, and sends
 * the result back. Its socket thread ({@code powerhose-worker}) heartbeats whatever the jobs do; jobs run on
 * threads of their own ({@code powerhose-job-N}, one per unit of capacity).
 *
 * <pre>{@code
 * Worker worker = new Worker(WorkerOptions.builder()
 *     .target("com.example.Resize")          // your JobHandler class, or a static method com.example.Jobs::resize
 *     .backend("ipc:///run/app/back.ipc").heartbeat("ipc:///run/app/beat.ipc").build());
 * worker.start();
 * worker.awaitExit();   // until stop(), max age, or the broker's beat is lost
 * }</pre>
 *
 * <p>It quits when the broker's beat is lost for {@code pingRetries × pingDelay}; it leaves gracefully
 * (DISCONNECT, finish the running jobs, exit) on {@link #stop()} and at {@code maxAge}. A job running longer
 * than {@code timeout} has the stacks of all threads logged and its result is not sent: the caller gets an
 * error at once, and the job's thread is abandoned.
 *
 * <p><b>Note:</b> thread safe. Start once, stop once; not reusable.
 */
public final class Worker implements AutoCloseable {
    /** Why a worker ended. */
    public enum Exit {
        /** {@link #stop()} was called. */
        STOPPED,
        /** It reached its max age. */
        MAX_AGE,
        /** The broker's beat was lost. */
        BEAT_LOST,
        /** It failed (see the log). */
        FAILED
    }

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    private final WorkerOptions options;
    private final WorkerConductor conductor;
    private final LoopRunner runner;

    /**
     * Creates a worker; the target is resolved now, so a bad target fails here.
     *
     * @param options the settings
     * @throws ConfigurationException when the target cannot be found or built
     */
    public Worker(WorkerOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        NativeLibrary.load();
        JobHandler handler = options.handler() != null ? options.handler()
            : Targets.resolve(options.target(), options.params());
        this.conductor = new WorkerConductor(options, handler, System::nanoTime);
        this.runner = new LoopRunner(ThreadRole.WORKER, null, conductor, LOG);
        runner.started().exceptionally(error -> {
            LOG.error("the worker could not start", error);
            return null;
        });
    }

    /**
     * Creates a worker of a target with the documented defaults for everything else.
     *
     * @param target a class implementing {@link JobHandler}, or {@code com.example.Echo::echo}
     * @param backend the broker's backend
     * @param heartbeat the broker's heartbeat
     */
    public Worker(String target, String backend, String heartbeat) {
        this(WorkerOptions.builder().target(target).backend(backend).heartbeat(heartbeat).build());
    }

    /** @return the settings */
    public WorkerOptions options() {
        return options;
    }

    /** Starts the worker: it connects and registers in the background. */
    public void start() {
        runner.start();
    }

    /** Asks the worker to leave gracefully: the broker sends it nothing more, its running jobs finish. */
    public void stop() {
        conductor.requestLeave();
    }

    /**
     * Waits until the worker has ended.
     *
     * @return why it ended
     */
    public Exit awaitExit() {
        return awaitExit(Duration.ofNanos(Long.MAX_VALUE));
    }

    /**
     * Waits up to a time for the worker to end.
     *
     * @param timeout how long to wait
     * @return why it ended, or null when it still runs
     */
    public Exit awaitExit(Duration timeout) {
        runner.awaitEnd(timeout.toNanos());
        return exit();
    }

    /** @return why the worker ended, or null while it runs */
    public Exit exit() {
        WorkerConductor.Exit exit = conductor.exit();
        return exit == null ? null : Exit.valueOf(exit.name());
    }

    /** Stops the worker and waits for it, up to its job timeout plus 10 s. Idempotent. */
    @Override
    public void close() {
        stop();
        awaitExit(options.timeout().plusSeconds(10));
    }
}
