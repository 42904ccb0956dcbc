package io.powerhose.cli;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.zmq.Security;

import java.io.PrintStream;
import java.time.Duration;

/**
 * The maintenance checks of {@code powerhose-broker}: {@code --check} and {@code --purge-ghosts}. They print plain
 * answer lines on stdout (the original's wording), not log lines, for scripts and health checks.
 */
final class BrokerChecks {
    /** How long --check and --purge-ghosts wait for the broker's PONG. */
    static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

    private BrokerChecks() {
    }

    static int check(String frontend, PrintStream out, Security security) {
        Commands.checkConnectEndpoint("--frontend", frontend);
        long pid = Probe.ping(frontend, PING_TIMEOUT, security);
        if (pid > 0) {
            out.println("A broker is running. PID: " + pid);
            return ExitCodes.OK;
        }
        out.println("No broker is running on " + frontend + ".");
        return ExitCodes.FAILED;
    }

    static int purgeGhosts(String frontend, PrintStream out, Security security) {
        Commands.checkConnectEndpoint("--frontend", frontend);
        return GhostPurge.run(frontend, out, security);
    }
}
