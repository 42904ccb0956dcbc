package io.powerhose.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The words of docs/PROTOCOL.md ("Words") as option names, with the seed's names kept as aliases. */
class OptionNamesTest {
    @Test
    void runLimitAndTheSeedsTimeoutSetTheSameWorkerOption() {
        WorkerCommand named = new WorkerCommand();
        new CommandLine(named).parseArgs("--run-limit", "2.5", "x.Y");
        assertEquals(2.5, named.timeout);
        WorkerCommand seed = new WorkerCommand();
        new CommandLine(seed).parseArgs("--timeout", "4", "x.Y");
        assertEquals(4, seed.timeout);
        ClusterCommand cluster = new ClusterCommand();
        new CommandLine(cluster).parseArgs("--run-limit", "3", "x.Y");
        assertEquals(3, cluster.timeout);
    }

    @Test
    void expectedTimeAndTheSeedsTimeoutSetTheSameClientOption() {
        ClientCommand named = new ClientCommand();
        new CommandLine(named).parseArgs("--expected-time", "1.5", "job");
        assertEquals(1.5, named.timeout);
        ClientCommand seed = new ClientCommand();
        new CommandLine(seed).parseArgs("--timeout", "6", "job");
        assertEquals(6, seed.timeout);
    }
}
