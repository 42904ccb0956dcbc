package io.powerhose.examples;

import io.powerhose.Broker;
import io.powerhose.BrokerOptions;
import io.powerhose.Client;
import io.powerhose.Job;
import io.powerhose.JobFailedException;
import io.powerhose.internal.process.JavaCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A tour in one command ({@code bin/demo}): a broker in this JVM, two worker processes running
 * {@link Square}, and a client that sends jobs to them.
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
        String back = "ipc://" + dir.resolve("back.ipc");
        String beat = "ipc://" + dir.resolve("beat.ipc");
        List<Process> workers = new ArrayList<>();
        BrokerOptions brokerOptions = BrokerOptions.builder().frontend(front).backend(back).heartbeat(beat).build();
        try (Broker broker = Broker.start(brokerOptions);
             Client client = new Client(front)) {
            System.out.println("broker started, pid " + broker.pid() + ", frontend " + front);
            for (int i = 0; i < 2; i++) {
                workers.add(new ProcessBuilder(JavaCommand.of("io.powerhose.cli.WorkerCommand", List.of(),
                    List.of("--backend", back, "--heartbeat", beat, "--logfile", dir.resolve("worker" + i + ".log")
                        .toString(), "io.powerhose.examples.Square"))).inheritIO().start());
            }
            System.out.println("workers started, pids " + workers.stream().map(p -> Long.toString(p.pid())).toList());
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
            for (Process worker : workers) {
                worker.destroy();
                if (!worker.waitFor(10, TimeUnit.SECONDS)) {
                    worker.destroyForcibly();
                }
            }
            deleteQuietly(dir);
            System.out.println("stopped");
        }
    }

    private static void deleteQuietly(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
