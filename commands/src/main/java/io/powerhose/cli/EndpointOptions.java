package io.powerhose.cli;

import io.powerhose.BrokerOptions;
import io.powerhose.ConfigurationException;
import io.powerhose.internal.EndpointList;
import picocli.CommandLine.Option;

/**
 * The broker's three endpoints as {@code powerhose} and {@code powerhose-broker} take them (a picocli mixin). Each
 * option is read through {@link EndpointList}, the one parser of endpoint lists ({@code tcp://a:5555,tcp://b:5555});
 * where a command takes one endpoint only, {@link #single} says so.
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

    /**
     * The one endpoint of an option where one is expected (a broker's own endpoints; workers and clients until they
     * take several brokers).
     *
     * @param name the option's name
     * @param text its value
     * @return the endpoint, checked
     * @throws ConfigurationException when the value is not an endpoint, or lists several
     */
    static String single(String name, String text) {
        EndpointList list = EndpointList.parse(name, text);
        if (list.size() != 1) {
            throw new ConfigurationException(name + "=" + list.text() + " lists " + list.size()
                + " endpoints; one is expected here");
        }
        return list.get(0);
    }
}
