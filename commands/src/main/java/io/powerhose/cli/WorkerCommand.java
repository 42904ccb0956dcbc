package io.powerhose.cli;

import io.powerhose.internal.Defaults;
import io.powerhose.BrokerOptions;
import io.powerhose.WorkerOptions;
import io.powerhose.internal.cluster.WorkerProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code powerhose-worker TARGET}: runs one Java worker until it is stopped (SIGTERM or Ctrl-C: it finishes
 * its job first), reaches its max age, or loses the broker's beat.
 */
@Command(name = "powerhose-worker", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Runs a worker.", versionProvider = VersionProvider.class)
public final class WorkerCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "target",
        description = "Fully qualified name of the job handler: a class implementing io.powerhose.JobHandler, "
            + "or a static method as com.example.Echo::echo.")
    String target;

    @Option(names = "--backend", paramLabel = "BACKEND",
        description = "ZMQ socket to the broker, or several brokers' separated by commas (the worker registers with"
            + " each and takes jobs from each). Default: ${DEFAULT-VALUE}")
    String backend = BrokerOptions.DEFAULT_BACKEND;

    @Option(names = "--debug", description = "Debug mode")
    boolean debug;

    @Option(names = "--logfile", paramLabel = "LOGFILE", description = "File to log in to. Default: ${DEFAULT-VALUE}")
    String logfile = "stdout";

    @Option(names = "--heartbeat", paramLabel = "HEARTBEAT",
        description = "ZMQ socket for the heartbeat; with several brokers, one for each backend, in the same order."
            + " Default: ${DEFAULT-VALUE}")
    String heartbeat = BrokerOptions.DEFAULT_HEARTBEAT;

    @Option(names = "--params", paramLabel = "PARAMS",
        description = "The parameters to be used in the worker, as key:value|key2:value2.")
    String params = "";

    @Option(names = {"--timeout", "--run-limit"}, paramLabel = "SECONDS", description = "The run limit: how long a "
        + "job may run before the worker answers it ERROR (and dumps the job thread's stack). "
        + "Default: ${DEFAULT-VALUE}")
    double timeout = Seconds.in(Defaults.RUN_LIMIT);

    @Option(names = "--max-age", paramLabel = "MAX_AGE", description = "The maximum age for a worker in seconds. "
        + "After that delay, the worker will simply quit. When set to -1, never quits. Default: ${DEFAULT-VALUE}")
    double maxAge = -1;

    @Option(names = "--max-age-delta", paramLabel = "MAX_AGE_DELTA",
        description = "The maximum value in seconds added to max_age. Default: ${DEFAULT-VALUE}")
    double maxAgeDelta = 0;

    @Option(names = "--capacity", paramLabel = "N", description = "Jobs run at once. Default: ${DEFAULT-VALUE}")
    int capacity = 1;

    @Option(names = "--prefetch", paramLabel = "N", description = "Most jobs beyond --capacity the worker accepts "
        + "and queues while busy, so that it never idles for a broker round trip between two jobs; the broker "
        + "queues at most about 2 ms of work on it (0: off). Default: ${DEFAULT-VALUE}")
    int prefetch = Defaults.PREFETCH;

    @Option(names = "--ping-delay", paramLabel = "SECONDS",
        description = "Time between two beat checks. Default: ${DEFAULT-VALUE}")
    double pingDelay = Seconds.in(Defaults.PING_DELAY);

    @Option(names = "--ping-retries", paramLabel = "N",
        description = "Beat checks without a beat before quitting. Default: ${DEFAULT-VALUE}")
    int pingRetries = Defaults.PING_RETRIES;

    @Option(names = "--heartbeat-interval", paramLabel = "SECONDS",
        description = "Time between two heartbeats sent to the broker. Default: ${DEFAULT-VALUE}")
    double heartbeatInterval = Seconds.in(Defaults.HEARTBEAT_INTERVAL);

    @Option(names = "--parent-pid", paramLabel = "PID", hidden = true,
        description = "Leave when this process ends (default: the pid in POWERHOSE_PARENT_PID, which a cluster's "
            + "supervisor sets).")
    long parentPid = -1;

    @Mixin
    CurveOptions curve = new CurveOptions();

    /**
     * Builds the options these arguments describe, without starting anything.
     *
     * @return the worker options
     */
    WorkerOptions toOptions() {
        WorkerOptions.Builder builder = WorkerOptions.builder()
            .target(target).backend(backend).heartbeat(heartbeat).params(params)
            .timeout(Seconds.of(timeout)).maxAgeDelta(Seconds.of(maxAgeDelta)).capacity(capacity).prefetch(prefetch)
            .pingDelay(Seconds.of(pingDelay)).pingRetries(pingRetries).heartbeatInterval(Seconds.of(heartbeatInterval))
            .curveServerKey(curve.serverCertificate()).curveKey(curve.ownCertificate());
        if (maxAge >= 0) {
            builder.maxAge(Seconds.of(maxAge));
        }
        return builder.build();
    }

    @Override
    public Integer call() {
        Logging.configure(debug, logfile);
        return WorkerProcess.run("powerhose-worker", toOptions(), parentPid);
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(Commands.run(new WorkerCommand(), args));
    }
}
