package com.example.app;

import io.powerhose.Client;
import io.powerhose.Cluster;
import io.powerhose.ClusterOptions;
import io.powerhose.Job;
import io.powerhose.JobResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Starts a cluster (a broker in this JVM, two worker processes running {@link Sha256}), sends it 200 jobs,
 * checks every answer and prints one line with the count and the workers that answered. Fails (an exception,
 * exit status 1) on any wrong or missing answer.
 *
 * <p>Argument: a folder for the ipc endpoints (default: a new temporary folder).
 */
public final class App {
    private static final Logger LOG = LoggerFactory.getLogger(App.class);
    private static final int JOBS = 200;

    private App() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("maven-app-");
        String frontend = "ipc://" + dir.resolve("front.ipc");
        ClusterOptions options = ClusterOptions.builder(Sha256.class.getName())
            .numProcesses(2).background(true)
            .frontend(frontend)
            .backend("ipc://" + dir.resolve("back.ipc"))
            .heartbeat("ipc://" + dir.resolve("beat.ipc"))
            .build();
        int right = 0;
        Set<Long> workers = new TreeSet<>();
        try (Cluster cluster = Cluster.start(options);
             Client client = new Client(frontend)) {
            LOG.info("cluster up: broker pid {}, workers {}", cluster.brokerPid(), cluster.workers());
            List<CompletableFuture<JobResult>> results = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                results.add(client.submitForResult(new Job("job " + i), Duration.ofSeconds(30)));
            }
            for (int i = 0; i < JOBS; i++) {
                JobResult result = results.get(i).get();
                String expected = Sha256.hex(("job " + i).getBytes(StandardCharsets.UTF_8));
                if (result.dataAsString().equals(expected)) {
                    right++;
                } else {
                    LOG.error("job {}: got {}, expected {}", i, result.dataAsString(), expected);
                }
                workers.add(result.workerPid());
            }
        }
        System.out.println("answers: " + right + " of " + JOBS + " right, from workers " + workers);
        if (right != JOBS) {
            throw new IllegalStateException((JOBS - right) + " wrong answers");
        }
    }
}
