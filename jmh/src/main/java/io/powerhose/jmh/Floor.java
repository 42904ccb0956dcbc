package io.powerhose.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code native/build/zmq-floor}, the round trip through libzmq alone (REQ clients, a
 * {@code zmq_proxy(ROUTER, DEALER)}, REP echo workers), and reads its summary line. Used by the thread that
 * runs {@link Bench}.
 *
 * @param transport ipc or tcp
 * @param size bytes per message
 * @param clients REQ clients (each has one request in flight)
 * @param workers echo worker processes
 * @param jobsPerS round trips per second over all clients
 * @param p50Us median round trip
 * @param p99Us 99th percentile round trip
 * @param workUs CPU time each worker spends per request before replying (0 for echo)
 */
record Floor(String transport, int size, int clients, int workers, double jobsPerS, double p50Us, double p99Us,
             long workUs) {

    static Floor run(Path nativeDir, String transport, int size, int clients, int workers, int count)
        throws IOException, InterruptedException {
        return run(nativeDir, transport, size, clients, workers, count, 0);
    }

    static Floor run(Path nativeDir, String transport, int size, int clients, int workers, int count, long workUs)
        throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(nativeDir.resolve("zmq-floor").toString(),
            "--transport", transport, "--size", Integer.toString(size), "--clients", Integer.toString(clients),
            "--workers", Integer.toString(workers), "--count", Integer.toString(count), "--procs",
            "--work-us", Long.toString(workUs)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                throw new IOException("zmq-floor did not finish in 120 s");
            }
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (process.exitValue() != 0) {
            throw new IOException("zmq-floor exited with " + process.exitValue() + ": " + output.trim());
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("floor ")) {
                for (String token : line.trim().split("\\s+")) {
                    int eq = token.indexOf('=');
                    if (eq > 0) {
                        fields.put(token.substring(0, eq), token.substring(eq + 1));
                    }
                }
            }
        }
        if (!fields.containsKey("jobs_per_s")) {
            throw new IOException("zmq-floor printed no summary: " + output.trim());
        }
        return new Floor(transport, size, clients, workers, Double.parseDouble(fields.get("jobs_per_s")),
            Double.parseDouble(fields.get("p50_us")), Double.parseDouble(fields.get("p99_us")), workUs);
    }
}
