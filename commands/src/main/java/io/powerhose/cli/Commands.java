package io.powerhose.cli;

import io.powerhose.ConfigurationException;
import io.powerhose.internal.process.ExitCodes;
import picocli.CommandLine;

/** Runs a picocli command with the project's exit codes for usage and configuration errors. */
final class Commands {
    private Commands() {
    }

    static int run(Object command, String[] args) {
        CommandLine line = new CommandLine(command);
        line.setExitCodeExceptionMapper(e -> e instanceof ConfigurationException ? ExitCodes.CONFIGURATION
            : ExitCodes.FAILED);
        line.setParameterExceptionHandler((e, arguments) -> {
            e.getCommandLine().getErr().println(e.getCommandLine().getCommandName() + ": " + e.getMessage());
            e.getCommandLine().usage(e.getCommandLine().getErr());
            return ExitCodes.USAGE;
        });
        line.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(commandLine.getCommandName() + ": " + e.getMessage());
            return e instanceof ConfigurationException ? ExitCodes.CONFIGURATION : ExitCodes.FAILED;
        });
        return line.execute(args);
    }
}
