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

    /**
     * The pipelined floor: one DEALER client keeping {@code inFlight} requests in flight through a
     * {@code zmq_proxy} process to {@code workers} REP echo processes ({@code zmq-floor --in-flight}), with the
     * CPU time per job of each process.
     *
     * @param client "C" (zmq-floor's own client) or "jzmq" (a Java client on jzmq, {@link JzmqFloorClient})
     * @param jobsPerS round trips per second
     * @param cpuUsClient CPU microseconds per job of the client process
     * @param cpuUsProxy of the proxy process
     * @param cpuUsWorkers of the worker processes, summed
     */
    record Pipelined(String client, String transport, int size, int inFlight, int workers, long workUs,
                     double jobsPerS, double cpuUsClient, double cpuUsProxy, double cpuUsWorkers) {
        double cpuUsTotal() {
            return cpuUsClient + cpuUsProxy + cpuUsWorkers;
        }
    }

    static Pipelined runPipelined(Path nativeDir, String transport, int size, int inFlight, int workers, int count,
                                  long workUs) throws IOException, InterruptedException {
        List<String> command = List.of(nativeDir.resolve("zmq-floor").toString(), "--transport", transport,
            "--size", Integer.toString(size), "--in-flight", Integer.toString(inFlight), "--workers",
            Integer.toString(workers), "--count", Integer.toString(count), "--work-us", Long.toString(workUs));
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
        Map<String, String> f = fields(output, "floor ");
        if (process.exitValue() != 0 || !f.containsKey("jobs_per_s")) {
            throw new IOException("zmq-floor exited with " + process.exitValue() + ": " + output.trim());
        }
        return new Pipelined("C", transport, size, inFlight, workers, workUs, d(f, "jobs_per_s"),
            d(f, "cpu_us_client"), d(f, "cpu_us_proxy"), d(f, "cpu_us_workers"));
    }

    /**
     * The same floor with a Java DEALER client on jzmq (frame by frame, as an application on jzmq alone would
     * do it) in a JVM of its own: {@code zmq-floor --serve} runs the proxy and the workers; the client warms up,
     * then the proxy's and workers' CPU is read before and after its timed run.
     */
    static Pipelined runJzmq(Path nativeDir, String transport, int size, int inFlight, int workers, int count)
        throws IOException, InterruptedException {
        Process serve = new ProcessBuilder(nativeDir.resolve("zmq-floor").toString(), "--serve", "--transport",
            transport, "--size", Integer.toString(size), "--workers", Integer.toString(workers))
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Process client = null;
        try {
            java.io.BufferedReader serveOut = reader(serve);
            java.io.PrintStream serveIn = new java.io.PrintStream(serve.getOutputStream(), true,
                StandardCharsets.UTF_8);
            String ready = serveOut.readLine();
            if (ready == null || !ready.startsWith("serve front=")) {
                throw new IOException("zmq-floor --serve said: " + ready);
            }
            String front = ready.substring("serve front=".length()).trim();
            client = new ProcessBuilder(io.powerhose.internal.process.JavaCommand.of(JzmqFloorClient.class.getName(),
                List.of(), List.of(front, Integer.toString(inFlight), Integer.toString(count),
                    Integer.toString(size)))).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            java.io.BufferedReader clientOut = reader(client);
            java.io.PrintStream clientIn = new java.io.PrintStream(client.getOutputStream(), true,
                StandardCharsets.UTF_8);
            String warm = clientOut.readLine();
            if (!"warm".equals(warm)) {
                throw new IOException("the jzmq floor client said: " + warm);
            }
            serveIn.println("cpu");
            Map<String, String> before = fields(serveOut.readLine(), "cpu ");
            clientIn.println("go");
            Map<String, String> result = fields(clientOut.readLine(), "result ");
            serveIn.println("cpu");
            Map<String, String> after = fields(serveOut.readLine(), "cpu ");
            clientIn.close();
            serveIn.close();
            double proxyUs = (d(after, "proxy_ns") - d(before, "proxy_ns")) / 1e3 / count;
            double workersUs = (d(after, "workers_ns") - d(before, "workers_ns")) / 1e3 / count;
            if (!client.waitFor(30, TimeUnit.SECONDS) || !serve.waitFor(30, TimeUnit.SECONDS)) {
                throw new IOException("the jzmq floor did not end");
            }
            return new Pipelined("jzmq", transport, size, inFlight, workers, 0, d(result, "jobs_per_s"),
                d(result, "cpu_us_client"), proxyUs, workersUs);
        } finally {
            for (Process p : new Process[] {client, serve}) {
                if (p != null && p.isAlive()) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static java.io.BufferedReader reader(Process p) {
        return new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private static Map<String, String> fields(String output, String prefix) throws IOException {
        Map<String, String> fields = new HashMap<>();
        if (output != null) {
            for (String line : output.split("\n")) {
                if (line.startsWith(prefix)) {
                    for (String token : line.trim().split("\\s+")) {
                        int eq = token.indexOf('=');
                        if (eq > 0) {
                            fields.put(token.substring(0, eq), token.substring(eq + 1));
                        }
                    }
                }
            }
        }
        if (fields.isEmpty()) {
            throw new IOException("no '" + prefix.trim() + "' line in: " + output);
        }
        return fields;
    }

    private static double d(Map<String, String> fields, String key) {
        String v = fields.get(key);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }
}
