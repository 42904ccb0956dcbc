package io.powerhose.cli;

import io.powerhose.internal.Defaults;
import io.powerhose.Broker;
import io.powerhose.BrokerOptions;
import io.powerhose.DuplicateBrokerException;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.process.Signals;
import io.powerhose.internal.runner.ThreadRole;
import io.powerhose.internal.zmq.Security;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code powerhose-broker}: runs a broker until SIGTERM or Ctrl-C (SIGHUP re-reads its allow-lists); with
 * {@code --check} or {@code --purge-ghosts}, checks the broker that runs instead.
 */
@Command(name = "powerhose-broker", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Powerhose broker.", versionProvider = VersionProvider.class)
public final class BrokerCommand implements Callable<Integer> {
    @Mixin
    EndpointOptions endpoints = new EndpointOptions();

    @Option(names = "--debug", description = "Debug mode")
    boolean debug;

    @Option(names = "--check", description = "Use this option to check if there's a running broker. "
        + "Returns the PID if a broker is up.")
    boolean check;

    @Option(names = "--purge-ghosts", description = "Use this option to purge ghost brokers.")
    boolean purgeGhosts;

    @Option(names = "--logfile", paramLabel = "LOGFILE", description = "File to log in to. Default: ${DEFAULT-VALUE}")
    String logfile = "stdout";

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
        description = "Serve /metrics (Prometheus), the live status page (/) and /status.json on this address, "
            + "e.g. 127.0.0.1:9100 (:9100 for every interface). Default: off")
    String metrics;

    @Option(names = "--heartbeat-interval", paramLabel = "SECONDS",
        description = "Time between two beats; a worker silent for liveness x this is lost. Default: ${DEFAULT-VALUE}")
    double heartbeatInterval = Seconds.in(Defaults.HEARTBEAT_INTERVAL);

    @Option(names = "--liveness", paramLabel = "N",
        description = "Heartbeat intervals of silence before a worker is lost. Default: ${DEFAULT-VALUE}")
    int liveness = Defaults.LIVENESS;

    @Option(names = "--max-queued", paramLabel = "N",
        description = "Jobs that may wait for a worker before new ones are refused as busy. Default: ${DEFAULT-VALUE}")
    int maxQueued = Defaults.MAX_QUEUED_JOBS;

    @Option(names = "--max-job-bytes", paramLabel = "BYTES",
        description = "Largest job accepted. Default: ${DEFAULT-VALUE}")
    long maxJobBytes = Defaults.MAX_JOB_BYTES;

    @Option(names = "--no-worker-grace", paramLabel = "SECONDS",
        description = "How long a job waits for a worker when none is registered. Default: ${DEFAULT-VALUE}")
    double noWorkerGrace = Seconds.in(Defaults.NO_WORKER_GRACE);

    @Mixin
    BrokerSecurityOptions security = new BrokerSecurityOptions();

    @Mixin
    CurveOptions curve = new CurveOptions();

    /**
     * Builds the options these arguments describe, without starting anything.
     *
     * @return the broker options
     */
    BrokerOptions toOptions() {
        BrokerOptions.Builder builder = BrokerOptions.builder()
            .frontend(EndpointOptions.single("--frontend", endpoints.frontend))
            .backend(EndpointOptions.single("--backend", endpoints.backend))
            .heartbeat(EndpointOptions.single("--heartbeat", endpoints.heartbeat))
            .heartbeatInterval(Seconds.of(heartbeatInterval)).liveness(liveness).maxQueuedJobs(maxQueued)
            .maxJobBytes(maxJobBytes).noWorkerGrace(Seconds.of(noWorkerGrace));
        security.applyTo(builder);
        return builder.build();
    }

    @Override
    public Integer call() {
        if (check || purgeGhosts) {
            Logging.configure(debug ? ch.qos.logback.classic.Level.DEBUG : ch.qos.logback.classic.Level.WARN,
                "stderr");
            BrokerOptions options = toOptions();
            // The broker's own key is admitted on its frontend: with --curve-secret-key, nothing more is needed.
            Security probe = curve.serverKey != null ? curve.security()
                : Security.client(options.curveKey(), options.curveKey());
            return check ? BrokerChecks.check(options.frontend(), System.out, probe)
                : BrokerChecks.purgeGhosts(options.frontend(), System.out, probe);
        }
        // Before anything else: a SIGHUP would end the JVM by default.
        Broker[] started = new Broker[1];
        Signals.onHangup(() -> {
            Broker running = started[0];
            if (running != null) {
                running.reloadAllowLists();
            }
        });
        Logging.configure(debug, logfile);
        BrokerOptions options = toOptions();
        // The metrics' address first: a bad or busy one fails before the broker binds anything.
        MetricsServer server = metrics == null ? null
            : MetricsServer.bind("--metrics", MetricsServer.address("--metrics", metrics));
        Broker broker;
        try {
            broker = Broker.start(server == null ? options
                : options.newBuilder().meterRegistry(server.registry()).build());
        } catch (DuplicateBrokerException e) {
            closeQuietly(server);
            System.err.println("powerhose-broker: " + e.getMessage());
            return ExitCodes.DUPLICATE_BROKER;
        } catch (RuntimeException e) {
            closeQuietly(server);
            throw e;
        }
        started[0] = broker;
        if (server != null) {
            server.serve(broker::statusSnapshot, options.frontend());
        }
        Runtime.getRuntime().addShutdownHook(ThreadRole.SHUTDOWN.newThread(() -> {
            broker.close();
            closeQuietly(server);
        }, "broker"));
        broker.awaitStop();
        return ExitCodes.OK;
    }

    static void closeQuietly(MetricsServer server) {
        if (server != null) {
            server.close();
        }
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(Commands.run(new BrokerCommand(), args));
    }
}
