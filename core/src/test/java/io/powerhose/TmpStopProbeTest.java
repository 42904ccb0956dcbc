package io.powerhose;

import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import java.nio.file.*;
import java.time.Duration;
import java.util.List;

class TmpStopProbeTest {
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private void probe(ClusterOptions.Builder b, String what) throws Exception {
        String log = cluster.dir().resolve(what + ".log").toString();
        Cluster c = Cluster.start(b.broker(cluster.brokerOptions().build()).numProcesses(2).background(true).logfile(log).build());
        try (Client client = new Client(cluster.frontend())) { client.execute("x"); }
        long t = System.nanoTime();
        c.stop();
        System.out.println("PROBE " + what + " stop took " + (System.nanoTime() - t) / 1_000_000 + " ms");
        for (int i = 0; i < 2; i++) {
            Path p = Path.of(log + ".worker-" + i);
            if (Files.exists(p)) System.out.println("PROBE " + what + " worker-" + i + " log:\n" + Files.readString(p));
        }
    }

    @Test
    void c() throws Exception {
        probe(ClusterOptions.builderForCommand(List.of(Path.of("../native/build/powerhose-worker-echo").toAbsolutePath().toString())), "c");
    }

    @Test
    void python() throws Exception {
        probe(ClusterOptions.builderForCommand(List.of("/usr/bin/python3", Path.of("../examples/python/worker.py").toAbsolutePath().toString(), "echo.echo")), "python");
    }

    @Test
    void java() throws Exception {
        probe(ClusterOptions.builder("io.powerhose.examples.Echo"), "java");
    }
}
