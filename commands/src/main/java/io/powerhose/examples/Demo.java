package io.powerhose.examples;

import io.powerhose.Client;
import io.powerhose.Cluster;
import io.powerhose.ClusterOptions;
import io.powerhose.Job;
import io.powerhose.JobFailedException;
import io.powerhose.WorkerInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A tour in one command ({@code bin/demo}): a {@link Cluster} (a broker in this JVM and two worker processes
 * running {@link Square}), and a client that sends jobs to them.
 */
public final class Demo {
    private Demo() {
    }

    /**
     * Runs the demo.
     *
     * @param args ignored
     * @throws Exception when something fails
     */
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("powerhose-demo-");
        String front = "ipc://" + dir.resolve("front.ipc");
        ClusterOptions options = ClusterOptions.builder(Square.class.getName()).numProcesses(2).background(true)
            .frontend(front).backend("ipc://" + dir.resolve("back.ipc"))
            .heartbeat("ipc://" + dir.resolve("beat.ipc")).logfile(dir.resolve("cluster.log").toString()).build();
        try (Cluster cluster = Cluster.start(options);
             Client client = new Client(front)) {
            System.out.println("broker started, pid " + cluster.brokerPid() + ", frontend " + front);
            System.out.println("workers started, pids " + cluster.workers().stream().map(WorkerInfo::pid).toList());
            System.out.println("ping -> broker pid " + client.ping(Duration.ofSeconds(5)).orElse(-1));
            for (int i = 1; i <= 5; i++) {
                System.out.println("square(" + i + ") = " + client.execute(Integer.toString(i),
                    Duration.ofSeconds(20)));
            }
            try {
                client.execute("not a number");
            } catch (JobFailedException e) {
                System.out.println("square(\"not a number\") failed in worker " + e.workerPid() + ": "
                    + e.remoteMessage());
            }
            long start = System.nanoTime();
            List<CompletableFuture<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                results.add(client.submit(new Job(Integer.toString(i))));
            }
            long sum = 0;
            for (CompletableFuture<byte[]> result : results) {
                sum += Long.parseLong(new String(result.get()));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("10000 squares summed to %d in %.2f s (%.0f jobs/s through 2 workers)%n", sum, seconds,
                10_000 / seconds);
        } finally {
            deleteQuietly(dir);
            System.out.println("stopped");
        }
    }

    private static void deleteQuietly(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
