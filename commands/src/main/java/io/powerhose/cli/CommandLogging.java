package io.powerhose.cli;

import io.powerhose.internal.cluster.ProcessLogging;

/**
 * The commands' logging set-up for the worker processes a cluster starts (found by {@link java.util.ServiceLoader}
 * when this jar is on their class path): the same line format and {@code --logfile} rotation as the commands,
 * when logback is the binding in use.
 */
public final class CommandLogging implements ProcessLogging {
    /** Created by {@link java.util.ServiceLoader}. */
    public CommandLogging() {
    }

    @Override
    public void configure(boolean debug, String logfile) {
        Logging.configure(debug, logfile);
    }
}
