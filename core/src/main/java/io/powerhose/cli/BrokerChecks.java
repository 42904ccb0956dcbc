package io.powerhose.cli;

import io.powerhose.internal.client.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The maintenance checks of {@code powerhose-broker}: {@code --check} and {@code --purge-ghosts}.
 */
final class BrokerChecks {
    private static final Logger LOG = LoggerFactory.getLogger("powerhose");

    private BrokerChecks() {
    }

    static int check(String frontend) {
        long pid = Probe.ping(frontend, BrokerCommand.checkTimeout());
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
