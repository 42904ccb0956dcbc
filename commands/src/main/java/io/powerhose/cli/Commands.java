package io.powerhose.cli;

import io.powerhose.ConfigurationException;
import io.powerhose.PowerhoseException;
import io.powerhose.internal.EndpointList;
import io.powerhose.internal.Endpoints;
import io.powerhose.internal.process.ExitCodes;
import picocli.CommandLine;

/**
 * Runs a picocli command with the project's exit codes (docs/OPERATIONS.md): 2 for a bad command line, 3 for a
 * configuration error (one line on stderr), 1 for any other failure.
 */
final class Commands {
    private Commands() {
    }

    /**
     * Checks an endpoint that a one-shot command connects to: its form, and that its host resolves (libzmq would
     * retry an unknown host in silence until the command's timeout).
     *
     * @param option the option's name, for the message
     * @param endpoint the endpoint
     * @throws ConfigurationException saying what is wrong
     */
    static void checkConnectEndpoint(String option, String endpoint) {
        Endpoints.check(option, endpoint);
        String host = Endpoints.unresolvedHost(endpoint);
        if (host != null) {
            throw new ConfigurationException(option + " " + endpoint + ": unknown host " + host);
        }
    }

    /**
     * Checks a comma-separated list of endpoints a command connects to (several brokers): each as
     * {@link #checkConnectEndpoint}, and the list as {@link EndpointList#parse}.
     *
     * @param option the option's name, for the message
     * @param endpoints the list
     * @throws ConfigurationException saying what is wrong
     */
    static void checkConnectEndpoints(String option, String endpoints) {
        for (String endpoint : EndpointList.parse(option, endpoints).endpoints()) {
            checkConnectEndpoint(option, endpoint);
        }
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
            if (!(e instanceof PowerhoseException)) {
                e.printStackTrace(commandLine.getErr());   // a bug of ours: the trace helps
            }
            return e instanceof ConfigurationException ? ExitCodes.CONFIGURATION : ExitCodes.FAILED;
        });
        return line.execute(args);
    }
}
