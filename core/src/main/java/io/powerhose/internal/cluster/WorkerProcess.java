package io.powerhose.internal.cluster;

import io.powerhose.ConfigurationException;
import io.powerhose.Worker;
import io.powerhose.WorkerOptions;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.runner.ThreadRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Runs one {@link Worker} as the whole of a process: {@code powerhose-worker} and the worker processes of a
 * {@link io.powerhose.Cluster}. It stops the worker gracefully on SIGTERM (a shutdown hook) and when the process
 * that started it ends (the parent watch, the same for Java, C and Python workers: the pid in
 * {@value #PARENT_PID_ENV}, which a cluster's supervisor sets for every worker it starts), and turns the way the
 * worker ended into the process's exit code. Runs on the process's main thread.
 */
public final class WorkerProcess {
    /** The environment variable that names the process whose end a worker leaves on. */
    public static final String PARENT_PID_ENV = "POWERHOSE_PARENT_PID";
    private static final Logger LOG = LoggerFactory.getLogger(WorkerProcess.class);

    private WorkerProcess() {
    }

    /**
     * Runs the worker until it ends.
     *
     * @param name the program's name, for error lines on stderr
     * @param options the worker's settings
     * @param parentPid the process to watch, or -1 to read {@value #PARENT_PID_ENV} (0 or less there: none)
     * @return the exit code: {@link ExitCodes#OK}, {@link ExitCodes#CONFIGURATION} or {@link ExitCodes#FAILED}
     */
    public static int run(String name, WorkerOptions options, long parentPid) {
        Worker worker;
        try {
            worker = new Worker(options);
        } catch (ConfigurationException e) {
            System.err.println(name + ": " + e.getMessage());
            return ExitCodes.CONFIGURATION;
        }
        Thread hook = ThreadRole.SHUTDOWN.newThread(worker::close, "worker");
        Runtime.getRuntime().addShutdownHook(hook);
        worker.start();
        LOG.info("worker pid {} runs {} for the broker at {} (heartbeat {})", ProcessHandle.current().pid(),
            options.target() != null ? options.target() : options.handler(), options.backend(), options.heartbeat());
        long parent = parentPid > 0 ? parentPid : parentPidFromEnvironment();
        if (parent > 0) {
            Optional<ProcessHandle> handle = ProcessHandle.of(parent);
            if (handle.isEmpty() || !handle.get().isAlive()) {
                LOG.info("the process that started this worker (pid {}) is gone: leaving", parent);
                worker.stop();
            } else {
                handle.get().onExit().thenRun(() -> {
                    LOG.info("the process that started this worker (pid {}) ended: leaving", parent);
                    worker.stop();
                });
            }
        }
        Worker.Exit exit = worker.awaitExit();
        LOG.info("worker pid {} ends: {}", ProcessHandle.current().pid(), exit);
        return exit == Worker.Exit.FAILED ? ExitCodes.FAILED : ExitCodes.OK;
    }

    /**
     * Reads the parent to watch from the environment.
     *
     * @return the pid in {@value #PARENT_PID_ENV}, or -1 when unset or not a number
     */
    public static long parentPidFromEnvironment() {
        String value = System.getenv(PARENT_PID_ENV);
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            LOG.warn("{}={} is not a pid: ignored", PARENT_PID_ENV, value);
            return -1;
        }
    }
}
