package io.powerhose.cli;

import ch.qos.logback.classic.Level;
import io.powerhose.BrokerOptions;
import io.powerhose.ConfigurationException;
import io.powerhose.internal.Durations;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.HandshakeFailedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code powerhose-status}: asks a broker for its STATUS and prints it as a table (its workers with pid, host,
 * language, capacity, prefetch, jobs in flight and done, age; its queue; its counters) or, with {@code --json},
 * as one JSON object.
 */
@Command(name = "powerhose-status", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Print a Powerhose broker's status: its workers, its queue and its counters.",
        "Exit codes: 0 ok, 1 no broker answered, 2 usage, 3 configuration (bad endpoint, unknown host, "
            + "libjzmq missing, a key file that cannot be used, a security handshake the broker refused)."},
    versionProvider = VersionProvider.class)
public final class StatusCommand implements Callable<Integer> {
    @Option(names = "--frontend", paramLabel = "FRONTEND",
        description = "The broker's frontend. Default: ${DEFAULT-VALUE}")
    String frontend = BrokerOptions.DEFAULT_FRONTEND;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS",
        description = "How long to wait for the broker's answer. Default: ${DEFAULT-VALUE}")
    double timeout = 2;

    @Option(names = "--debug", description = "Debug mode")
    boolean debug;

    @Mixin
    CurveOptions curve = new CurveOptions();

    private final PrintStream out;

    /** Creates the command printing to standard output. */
    public StatusCommand() {
        this(System.out);
    }

    StatusCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        Logging.configure(debug ? Level.DEBUG : Level.WARN, "stderr");
        Duration wait = Seconds.of(timeout);
        if (wait.isZero() || wait.isNegative()) {
            throw new ConfigurationException("--timeout " + timeout + " must be positive");
        }
        Commands.checkConnectEndpoint("--frontend", frontend);
        String text;
        try {
            text = Probe.status(frontend, wait, curve.security());
        } catch (HandshakeFailedException e) {
            System.err.println("powerhose-status: " + e.getMessage());
            return ExitCodes.CONFIGURATION;
        }
        if (text == null) {
            System.err.println("powerhose-status: no broker answered on " + frontend + " within "
                + Durations.text(wait));
            return ExitCodes.FAILED;
        }
        StatusReport report = StatusReport.parse(text);
        if (json) {
            out.println(report.json(frontend));
        } else {
            out.print(report.table(frontend));
        }
        return ExitCodes.OK;
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(Commands.run(new StatusCommand(), args));
    }
}
