package io.powerhose.cli;

import io.powerhose.ClusterOptions;
import io.powerhose.ConfigurationException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The endpoint options of the commands and {@code --no-broker}, parsed without starting anything. */
class EndpointOptionsTest {
    private static ClusterCommand cluster(String... args) {
        ClusterCommand command = new ClusterCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void noBrokerGivesWorkersOnlyConnectedToTheRemoteBroker() {
        ClusterOptions options = cluster("--no-broker", "--numprocesses", "3", "--backend", "tcp://192.0.2.11:5556",
            "--heartbeat", "tcp://192.0.2.11:5557", "io.example.Target").toOptions();
        assertTrue(options.noBroker());
        assertEquals(3, options.numProcesses());
        assertEquals("tcp://192.0.2.11:5556", options.workerBackend());
        assertEquals("tcp://192.0.2.11:5557", options.workerHeartbeat());
        assertFalse(cluster("io.example.Target").toOptions().noBroker(), "a broker by default");
    }

    @Test
    void noBrokerRefusesAWildcardItCouldNotConnectTo() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> cluster("--no-broker",
            "--backend", "tcp://*:5556", "--heartbeat", "tcp://192.0.2.11:5557", "io.example.Target").toOptions());
        assertTrue(e.getMessage().startsWith("backend=tcp://*:5556: with noBroker the workers connect there"),
            e.getMessage());
    }

    @Test
    void aListWhereOneEndpointIsExpectedIsAClearErrorNamingTheOption() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> cluster("--backend",
            "tcp://192.0.2.11:5556, tcp://192.0.2.12:5556", "io.example.Target").toOptions());
        assertEquals("--backend=tcp://192.0.2.11:5556,tcp://192.0.2.12:5556 lists 2 endpoints; one is expected here",
            e.getMessage());
    }

    @Test
    void noBrokerHandsTheWorkersTheRemoteBrokersAsGivenAndPairsHeartbeatsWithBackends() {
        ClusterOptions options = cluster("--no-broker", "--backend", "tcp://192.0.2.11:5556, tcp://192.0.2.12:5556",
            "--heartbeat", "tcp://192.0.2.11:5557,tcp://192.0.2.12:5557", "io.example.Target").toOptions();
        assertEquals("tcp://192.0.2.11:5556,tcp://192.0.2.12:5556", options.workerBackend());
        assertEquals("tcp://192.0.2.11:5557,tcp://192.0.2.12:5557", options.workerHeartbeat());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> cluster("--no-broker",
            "--backend", "tcp://192.0.2.11:5556,tcp://192.0.2.12:5556", "--heartbeat", "tcp://192.0.2.11:5557",
            "io.example.Target").toOptions());
        assertTrue(e.getMessage().startsWith("backend lists 2 broker(s) but heartbeat lists 1"), e.getMessage());
        ClusterOptions local = cluster("--backend", "tcp://127.0.0.1:5556", "io.example.Target").toOptions();
        assertEquals("tcp://127.0.0.1:5556", local.workerBackend(), "with its own broker, the workers use its backend");
    }

    @Test
    void anEndpointListIsParsedInOnePlaceTrimmedAndChecked() {
        assertEquals("tcp://192.0.2.11:5556", EndpointOptions.single("--backend", " tcp://192.0.2.11:5556 "));
        ConfigurationException empty = assertThrows(ConfigurationException.class,
            () -> EndpointOptions.single("--frontend", "tcp://a:1,,tcp://b:1"));
        assertTrue(empty.getMessage().contains("element 1 is empty"), empty.getMessage());
        ConfigurationException bad = assertThrows(ConfigurationException.class,
            () -> EndpointOptions.single("--frontend", "tcp://a"));
        assertTrue(bad.getMessage().startsWith("--frontend=tcp://a"), bad.getMessage());
        BrokerCommand broker = new BrokerCommand();
        new CommandLine(broker).parseArgs("--frontend", "tcp://*:5555", "--backend", "tcp://*:5556", "--heartbeat",
            "tcp://*:5557");
        assertEquals("tcp://*:5555", broker.toOptions().frontend());
    }
}
