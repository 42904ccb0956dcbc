package io.powerhose.cli;

import io.powerhose.internal.Params;
import io.powerhose.internal.Defaults;
import io.powerhose.Cluster;
import io.powerhose.ClusterOptions;
import io.powerhose.ConfigurationException;
import io.powerhose.DuplicateBrokerException;
import io.powerhose.PowerhoseException;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.process.Signals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code powerhose TARGET}: one broker and some workers, kept running until SIGTERM or Ctrl-C, then stopped
 * gracefully; SIGHUP re-reads the broker's allow-lists; with {@code --no-broker}, the workers only, for a broker on
 * another host.
 */
@Command(name = "powerhose", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run a Powerhose cluster.", versionProvider = VersionProvider.class)
public final class ClusterCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "target",
        description = "Fully qualified name of the job handler (a JobHandler class, or Class::method). "
            + "Not needed with --worker-command.")
    String target;

    @Mixin
    EndpointOptions endpoints = new EndpointOptions();

    @Option(names = "--debug", description = "Debug mode")
    boolean debug;

    @Option(names = "--numprocesses", paramLabel = "NUMPROCESSES",
        description = "Number of processes to run. Default: ${DEFAULT-VALUE}")
    int numProcesses = 5;

    @Option(names = "--logfile", paramLabel = "LOGFILE",
        description = "File to log in to (workers log to LOGFILE.worker-N). Default: ${DEFAULT-VALUE}")
    String logfile = "stdout";

    @Option(names = "--params", paramLabel = "PARAMS", description = "The workers' parameters, as key:value|k2:v2.")
    String params = "";

    @Option(names = {"--timeout", "--run-limit"}, paramLabel = "SECONDS",
        description = "The workers' run limit: how long a job may run. Default: ${DEFAULT-VALUE}")
    double timeout = Seconds.in(Defaults.RUN_LIMIT);

    @Option(names = "--max-age", paramLabel = "MAX_AGE",
        description = "The workers' maximum age in seconds; -1 for never. Default: ${DEFAULT-VALUE}")
    double maxAge = -1;

    @Option(names = "--max-age-delta", paramLabel = "MAX_AGE_DELTA",
        description = "The maximum value in seconds added to max_age. Default: ${DEFAULT-VALUE}")
    double maxAgeDelta = 0;

    @Option(names = "--no-broker", description = "Run the workers only, connected to the broker at --backend and "
        + "--heartbeat on another host (several brokers: comma-separated lists, for workers that take several); "
        + "they are respawned when they exit and rejoin as soon as that broker can be reached. --frontend is not "
        + "used.")
    boolean noBroker;
    @Option(names = "--metrics", paramLabel = "HOST:PORT",
        description = "Serve /metrics (Prometheus), the live status page (/) and /status.json on this address, "
            + "e.g. 127.0.0.1:9100 (:9100 for every interface). Default: off")
    String metrics;

    @Option(names = "--worker-command", paramLabel = "COMMAND",
        description = "Run workers in another language: this command line (split on spaces), to which "
            + "--backend, --heartbeat, --timeout and the other worker options are appended.")
    String workerCommand;

    @Mixin
    BrokerSecurityOptions security = new BrokerSecurityOptions();

    @Option(names = "--worker-curve-key", paramLabel = "FILE",
        description = "The workers' key pair, its NAME.key_secret file; each worker gets its path as --curve-key "
            + "(and the broker's NAME.key as --curve-server-key).")
    Path workerCurveKey;

    /**
     * Builds the options these arguments describe, without starting anything.
     *
     * @return the cluster options
     */
    ClusterOptions toOptions() {
        return toBuilder().build();
    }

    private ClusterOptions.Builder toBuilder() {
        ClusterOptions.Builder builder;
        if (workerCommand != null) {
            builder = ClusterOptions.builderForCommand(Arrays.asList(workerCommand.trim().split("\\s+")));
        } else if (target != null) {
            builder = ClusterOptions.builder(target);
        } else {
            throw new ConfigurationException("give a target, or --worker-command");
        }
        if (noBroker) {
            builder.noBroker(endpoints.backend, endpoints.heartbeat);
        } else {
            builder.frontend(EndpointOptions.single("--frontend", endpoints.frontend))
                .backend(EndpointOptions.single("--backend", endpoints.backend))
                .heartbeat(EndpointOptions.single("--heartbeat", endpoints.heartbeat));
        }
        builder.numProcesses(numProcesses)
            .logfile(logfile).debug(debug).workerParams(Params.parse(params))
            .timeout(Seconds.of(timeout)).maxAgeDelta(Seconds.of(maxAgeDelta)).background(true);
        if (maxAge >= 0) {
            builder.maxAge(Seconds.of(maxAge));
        }
        if (security.curveSecretKey != null) {
            builder.curveSecretKey(security.curveSecretKey);
        }
        builder.allowClients(security.allowClients).allowWorkers(security.allowWorkers);
        builder.ipcGroup(security.ipcGroup).watchAllowLists(!security.noWatchAllowLists);
        if (workerCurveKey != null) {
            builder.workerCurveKey(workerCurveKey);
        }
        return builder;
    }

    @Override
    public Integer call() {
        Cluster[] started = new Cluster[1];
        Signals.onHangup(() -> {
            Cluster running = started[0];
            if (running != null && running.broker() != null) {
                running.broker().reloadAllowLists();
            }
        });
        Logging.configure(debug, logfile);
        MetricsServer server = null;
        try {
            ClusterOptions options = toOptions();
            if (metrics != null && noBroker) {
                throw new ConfigurationException("--metrics serves a broker's figures: it cannot be used with "
                    + "--no-broker (give it to the powerhose-broker or powerhose that runs the broker)");
            }
            if (metrics != null) {
                // The metrics' address first: a bad or busy one fails before the broker and the workers start.
                server = MetricsServer.bind("--metrics", MetricsServer.address("--metrics", metrics));
                options = toBuilder().meterRegistry(server.registry()).build();
            }
            Cluster cluster = Cluster.start(options);
            started[0] = cluster;
            if (server != null) {
                server.serve(cluster.broker()::statusSnapshot, options.broker().frontend());
            }
            cluster.awaitStop();
            return ExitCodes.OK;
        } catch (ConfigurationException e) {
            System.err.println("powerhose: " + e.getMessage());
            return ExitCodes.CONFIGURATION;
        } catch (DuplicateBrokerException e) {
            System.err.println("powerhose: " + e.getMessage());
            return ExitCodes.DUPLICATE_BROKER;
        } catch (PowerhoseException e) {
            System.err.println("powerhose: " + e.getMessage());
            return ExitCodes.FAILED;
        } finally {
            BrokerCommand.closeQuietly(server);
        }
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(Commands.run(new ClusterCommand(), args));
    }

}
