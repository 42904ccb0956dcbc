package io.powerhose.cli;

import io.powerhose.BrokerOptions;
import picocli.CommandLine.Option;

/**
 * The broker's three endpoints as {@code powerhose} and {@code powerhose-broker} take them (a picocli mixin).
 */
final class EndpointOptions {
    @Option(names = "--frontend", paramLabel = "FRONTEND",
        description = "ZMQ socket to receive jobs. Default: ${DEFAULT-VALUE}")
    String frontend = BrokerOptions.DEFAULT_FRONTEND;

    @Option(names = "--backend", paramLabel = "BACKEND",
        description = "ZMQ socket for workers. Default: ${DEFAULT-VALUE}")
    String backend = BrokerOptions.DEFAULT_BACKEND;

    @Option(names = "--heartbeat", paramLabel = "HEARTBEAT",
        description = "ZMQ socket for the heartbeat. Default: ${DEFAULT-VALUE}")
    String heartbeat = BrokerOptions.DEFAULT_HEARTBEAT;
}
