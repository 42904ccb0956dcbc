package io.powerhose.cli;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.process.ExitCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The maintenance checks of {@code powerhose-broker}: {@code --check} and {@code --purge-ghosts}.
 */
final class BrokerChecks {
    /** How long --check and --purge-ghosts wait for the broker's PONG. */
    static final Duration PING_TIMEOUT = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger("powerhose");

    private BrokerChecks() {
    }

    static int check(String frontend) {
        long pid = Probe.ping(frontend, PING_TIMEOUT);
        if (pid > 0) {
            LOG.info("A broker is running. PID: {}", pid);
            return ExitCodes.OK;
        }
        LOG.info("No broker is running on {}.", frontend);
        return ExitCodes.FAILED;
    }

    static int purgeGhosts(String frontend) {
        return GhostPurge.run(frontend, LOG);
    }
}
