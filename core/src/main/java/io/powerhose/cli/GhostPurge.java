package io.powerhose.cli;

import org.slf4j.Logger;

/** Placeholder replaced by the cluster issue's ghost purge. */
final class GhostPurge {
    private GhostPurge() {
    }

    static int run(String frontend, Logger log) {
        log.error("--purge-ghosts is not implemented yet");
        return ExitCodes.FAILED;
    }
}
