package io.powerhose.jmh;

import io.powerhose.internal.process.JavaCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The main of {@code ./bench.sh}: runs {@link OffloadBenchmark} (in-process threads against Powerhose for
 * each job cost), {@link RoundTripBenchmark} and {@link PingBenchmark} through the JMH Java API, and
 * {@code zmq-floor} for the libzmq floor; prints a table per job cost with a verdict, the round trips as
 * ratios of the floor and the targets; writes the raw JMH JSON, the report and an SVG chart into the
 * results folder. Runs on the main thread.
 */
public final class Bench {
    private static final String BENCH = "io\\.powerhose\\.jmh\\.";
    private final BenchOptions options;
    private final PrintStream out;
    private final long startNs = System.nanoTime();
    private final StringBuilder report = new StringBuilder();
    /** The pipelined floors by {@code transport/payload/C|jzmq}. */
    private final Map<String, Floor.Pipelined> pipelined = new HashMap<>();
    private Floor.Pipelined oneMsFloor;

    private Bench(BenchOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /**
     * Runs the bench.
     *
     * @param args see {@code ./bench.sh --help}
     * @throws Exception when a benchmark cannot run
     */
    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("powerhose.root", ".")).toAbsolutePath().normalize();
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path nativeDir = root.resolve("native/build");
        BenchOptions options;
        try {
            options = BenchOptions.parse(args, root.resolve("results").resolve(stamp),
                Files.isExecutable(nativeDir.resolve("zmq-floor")) ? nativeDir : null);
        } catch (BenchOptions.HelpRequested e) {
            System.out.println(BenchOptions.USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        new Bench(options, System.out).run();
    }

    /**
     * Runs the bench with parsed options (for tests).
     *
     * @param options the options
     * @param out where the progress and the report go
     * @return the offload results
     * @throws Exception when a benchmark cannot run
     */
    static List<OffloadPoint> run(BenchOptions options, PrintStream out) throws Exception {
        return new Bench(options, out).run();
    }

    /**
     * Runs everything and writes the results folder.
     *
     * @return the offload results, for tests
     * @throws Exception when a benchmark cannot run
     */
    List<OffloadPoint> run() throws Exception {
        Path dir = options.out().toAbsolutePath();
        Files.createDirectories(dir);
        Path sidecar = dir.resolve("facts.txt");
        Files.deleteIfExists(sidecar);
        boolean withC = options.nativeDir() != null && Files.isExecutable(options.nativeDir()
            .resolve("powerhose-worker-echo"));
        List<String> transports = options.mode() == BenchOptions.Mode.FULL ? List.of("ipc", "tcp") : List.of("ipc");
        List<String> payloads = options.mode() == BenchOptions.Mode.FULL ? List.of("64", "4096", "65536")
            : List.of("64");
        List<String> workerKinds = withC && options.mode() != BenchOptions.Mode.SMOKE ? List.of("java", "c")
            : List.of("java");
        int costs = options.costsMs().size();
        int total = costs * 3 + transports.size() * payloads.size() * workerKinds.size() * 2 + transports.size()
            + (options.metrics() ? workerKinds.size() * metricsBenchmarks().size() * metricsTrials().size() : 0);

        say("Powerhose bench (" + options.mode().name().toLowerCase(Locale.ROOT) + "): " + machine());
        say(String.format(Locale.ROOT, "job: %s; in-process: %d threads; Powerhose: %d client threads and the async"
            + " client (%d in flight) to %d worker processes", options.userJob() ? options.target()
            : "HMAC-SHA256 rounds, costs " + String.join(", ", options.costsMs()) + " ms", options.threads(),
            options.threads(), options.inFlight(), options.workers()));
        say("results: " + dir);
        say("");

        StringBuilder rounds = new StringBuilder();
        if (!options.userJob()) {
            out.print("calibrating the HMAC job in this JVM:");
            for (String cost : options.costsMs()) {
                CpuJob job = CpuJob.calibrated(Double.parseDouble(cost),
                    options.data().getBytes(StandardCharsets.UTF_8));
                rounds.append(rounds.length() == 0 ? "" : ",").append(cost).append(':').append(job.rounds());
                out.printf(Locale.ROOT, " %s ms = %d rounds;", cost, job.rounds());
            }
            out.println();
        }
        Map<String, double[]> sides = inProcessSides(options.userJob() ? options.target() : CpuJob.HMAC,
            rounds.toString());

        try (PrintStream log = new PrintStream(Files.newOutputStream(dir.resolve("jmh.log")), true,
            StandardCharsets.UTF_8)) {
            String data = options.data();
            String job = options.userJob() ? options.target() : CpuJob.HMAC;
            String[] costList = options.costsMs().toArray(String[]::new);
            Progress progress = new Progress(out, log, startNs, total, 0);
            Collection<RunResult> offload = new Runner(base(sidecar, rounds.toString())
                .include(BENCH + "OffloadBenchmark\\.(inProcess|powerhose)$")
                .threads(options.threads())
                .param("job", job).param("cost", costList).param("data", data)
                .param("workers", Integer.toString(options.workers()))
                .result(dir.resolve("jmh-offload.json").toString())
                .build(), progress).run();
            progress = new Progress(out, log, startNs, total, progress.done());
            Collection<RunResult> single = new Runner(base(sidecar, rounds.toString())
                .include(BENCH + "OffloadBenchmark\\.powerhoseAsync$")
                .include(BENCH + "RoundTripBenchmark\\.")
                .include(BENCH + "PingBenchmark\\.")
                .threads(1)
                .param("job", job).param("cost", costList).param("data", data)
                .param("workers", Integer.toString(options.workers()))
                .param("asyncInFlight", Integer.toString(options.inFlight()))
                .param("transport", transports.toArray(String[]::new))
                .param("payload", payloads.toArray(String[]::new))
                .param("worker", workerKinds.toArray(String[]::new))
                .result(dir.resolve("jmh-roundtrip.json").toString())
                .build(), progress).run();

            List<RunResult> all = new ArrayList<>(offload);
            all.addAll(single);
            List<RunResult> metrics = options.metrics() ? runMetrics(sidecar, rounds.toString(), workerKinds,
                new Progress(out, log, startNs, total, progress.done())) : List.of();
            Map<String, Floor> floors = floors(transports, payloads);
            runOneMsFloor();
            List<String> facts = Files.exists(sidecar) ? Files.readAllLines(sidecar) : List.of();
            List<OffloadPoint> points = offloadPoints(all, facts, sides);
            say("");
            printOffload(points);
            printRoundTrips(all, floors, transports, payloads, workerKinds);
            printCpu(facts, points, workerKinds);
            printTargets(all, floors, points);
            if (options.metrics()) {
                printMetrics(metrics, facts, workerKinds);
            }

            String subtitle = machine() + "; " + (options.userJob() ? options.target() : "HMAC-SHA256 job")
                + "; " + options.mode().name().toLowerCase(Locale.ROOT) + " run " + dir.getFileName();
            Files.writeString(dir.resolve("offload.svg"), Chart.svg(points, "Offloading CPU-bound jobs: in-process"
                + " threads vs Powerhose", subtitle, options.threads(), options.workers(), options.inFlight()));
            long s = (System.nanoTime() - startNs) / 1_000_000_000L;
            say("");
            say(String.format(Locale.ROOT, "done in %d:%02d. Files in %s:", s / 60, s % 60, dir));
            say("  report.txt (this report), offload.svg (the chart: open it in a browser),");
            say("  jmh-offload.json and jmh-roundtrip.json (raw JMH results), facts.txt (calibration, latencies),"
                + " jmh.log (JMH's full output)");
            Files.writeString(dir.resolve("report.txt"), report.toString());
            return points;
        }
    }

    private ChainedOptionsBuilder base(Path sidecar, String rounds) {
        ChainedOptionsBuilder b = new OptionsBuilder()
            .jvmArgsAppend(JavaCommand.ENABLE_NATIVE_ACCESS,
                "-Djava.library.path=" + System.getProperty("java.library.path"),
                "-D" + Sidecar.PROPERTY + "=" + sidecar, "-D" + CpuJob.ROUNDS_PROPERTY + "=" + rounds,
                "-D" + Trial.NATIVE_DIR_PROPERTY + "=" + (options.nativeDir() == null ? "" : options.nativeDir()))
            .resultFormat(ResultFormatType.JSON)
            .shouldFailOnError(true);
        return switch (options.mode()) {
            case SMOKE -> b.forks(1).warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(200));
            case QUICK -> b.forks(1).warmupIterations(1).warmupTime(TimeValue.seconds(1))
                .measurementIterations(2).measurementTime(TimeValue.seconds(1));
            case FULL -> b.forks(2).warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1));
        };
    }

    private Map<String, Floor> floors(List<String> transports, List<String> payloads) throws Exception {
        Map<String, Floor> floors = new HashMap<>();
        if (options.nativeDir() == null) {
            say("zmq-floor: not found (make -C native builds it); no floor in this run");
            return floors;
        }
        int latencyCount = switch (options.mode()) {
            case SMOKE -> 300;
            case QUICK -> 5_000;
            case FULL -> 10_000;
        };
        int pipelinedCount = switch (options.mode()) {
            case SMOKE -> 5_000;
            case QUICK -> 200_000;
            case FULL -> 300_000;
        };
        for (String transport : transports) {
            for (String payload : payloads) {
                int size = Integer.parseInt(payload);
                out.printf(Locale.ROOT, "zmq-floor %s %s B: 1 in flight (REQ) ", transport, payload);
                Floor latency = Floor.run(options.nativeDir(), transport, size, 1, 2, latencyCount);
                out.printf(Locale.ROOT, "p50 %.0f µs; 128 in flight, C DEALER ", latency.p50Us());
                int count = size >= 65536 ? pipelinedCount / 20 : size >= 4096 ? pipelinedCount / 4 : pipelinedCount;
                Floor.Pipelined c = Floor.runPipelined(options.nativeDir(), transport, size, 128, 2, count, 0);
                out.printf(Locale.ROOT, "%,.0f jobs/s, jzmq DEALER ", c.jobsPerS());
                Floor.Pipelined j = Floor.runJzmq(options.nativeDir(), transport, size, 128, 2, count);
                out.printf(Locale.ROOT, "%,.0f jobs/s%n", j.jobsPerS());
                floors.put(transport + "/" + payload + "/1", latency);
                pipelined.put(transport + "/" + payload + "/C", c);
                pipelined.put(transport + "/" + payload + "/jzmq", j);
            }
        }
        return floors;
    }

    /**
     * Runs the in-process side of each cost in a JVM started like the workers ({@link InProcessSide}).
     *
     * @return per cost: jobs/s and CPU ms per job
     */
    private Map<String, double[]> inProcessSides(String job, String rounds) throws IOException, InterruptedException {
        Map<String, double[]> sides = new HashMap<>();
        int seconds = switch (options.mode()) {
            case SMOKE -> 1;
            case QUICK -> 2;
            case FULL -> 5;
        };
        for (String cost : options.costsMs()) {
            out.printf(Locale.ROOT, "in-process side, %s, %d threads in a JVM started like the workers: ",
                cost.equals("-") ? "your job" : cost + " ms", options.threads());
            List<String> command = io.powerhose.internal.process.JavaCommand.of(InProcessSide.class.getName(),
                List.of(), List.of(job, cost, options.data(), Integer.toString(options.threads()),
                    Integer.toString(seconds), rounds));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output;
            try {
                output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                process.waitFor(120, TimeUnit.SECONDS);
            } finally {
                if (process.isAlive()) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            double[] side = {Double.NaN, Double.NaN};
            for (String line : output.split("\n")) {
                if (line.startsWith("inprocess ")) {
                    side[0] = fact(List.of(line + " method=x cost=x"), "x", "x", "inprocess", "jobs_per_s");
                    side[1] = fact(List.of(line + " method=x cost=x"), "x", "x", "inprocess", "cpu_ms_per_job");
                }
            }
            if (Double.isNaN(side[0])) {
                out.println("failed: " + output.trim());
            } else {
                out.printf(Locale.ROOT, "%s jobs/s, %.4f ms CPU per job%n", rate(side[0]), side[1]);
            }
            sides.put(cost, side);
        }
        return sides;
    }

    private List<OffloadPoint> offloadPoints(List<RunResult> results, List<String> facts, Map<String, double[]> sides) {
        List<OffloadPoint> points = new ArrayList<>();
        for (String cost : options.costsMs()) {
            double jmhIn = score(results, "OffloadBenchmark.inProcess", Map.of("cost", cost));
            double[] side = sides.getOrDefault(cost, new double[] {Double.NaN, Double.NaN});
            double in = Double.isNaN(side[0]) ? jmhIn : side[0];
            double sync = score(results, "OffloadBenchmark.powerhose", Map.of("cost", cost));
            double async = score(results, "OffloadBenchmark.powerhoseAsync", Map.of("cost", cost));
            double inP50Us = fact(facts, "inProcess", cost, "latency", "p50_us");
            double jobMs = cost.equals("-") ? inP50Us / 1e3 : Double.parseDouble(cost);
            points.add(new OffloadPoint(cost, jobMs, in, sync,
                async, fact(facts, "inProcess", cost, "latency", "p50_us"),
                fact(facts, "powerhose", cost, "latency", "p50_us"),
                fact(facts, "powerhose", cost, "latency", "p99_us"),
                fact(facts, "powerhose", cost, "check", "powerhose_roundtrip_ms"),
                fact(facts, "powerhose", cost, "check", "ping_ms"), jmhIn, side[1],
                fact(facts, "powerhoseAsync", cost, "cpu", "workers_us") / 1e3));
        }
        return points;
    }

    private void printOffload(List<OffloadPoint> points) {
        say(String.format(Locale.ROOT, "== Offload: %s; %d in-process threads vs Powerhose with %d workers (%d cores)",
            options.userJob() ? options.target() : "HMAC-SHA256 job", options.threads(), options.workers(),
            Runtime.getRuntime().availableProcessors()));
        say(String.format(Locale.ROOT, "%-9s %9s %12s %12s %12s %8s %10s %21s", "cost", "p50 per", "in-process",
            "Powerhose", "Powerhose", "best /", "overhead", "p50 per job (µs)"));
        say(String.format(Locale.ROOT, "%-9s %9s %12s %12s %12s %8s %10s %21s", "", "job in-p.", "jobs/s",
            "sync jobs/s", "async jobs/s", "in-proc", "µs/job", "in-proc / Powerhose"));
        for (OffloadPoint p : points) {
            say(String.format(Locale.ROOT, "%-9s %9s %12s %12s %12s %7.0f%% %+10.0f %10s / %-10s",
                p.cost().equals("-") ? "your job" : p.cost() + " ms", duration(p.inP50Us() / 1e3),
                    rate(p.inProcess()), rate(p.sync()),
                rate(p.async()), 100 * p.ratio(), p.overheadUs(), micros(p.inP50Us()), micros(p.syncP50Us())));
        }
        say("  overhead µs/job = 1/(best Powerhose jobs/s) - 1/(in-process jobs/s): machine time each job costs more"
            + " when offloaded.");
        for (OffloadPoint p : points) {
            if (!Double.isNaN(p.checkPowerhoseMs())) {
                say(String.format(Locale.ROOT, "  check, %s: one job alone through the warm cluster: %.3f ms round"
                    + " trip (a ping alone %.3f ms); in-process p50 during the run %s", p.cost().equals("-")
                    ? "your job" : p.cost() + " ms", p.checkPowerhoseMs(), p.checkPingMs(),
                        duration(p.inP50Us() / 1e3)));
            }
        }
        say("");
        for (OffloadPoint p : points) {
            say("verdict: " + verdict(p));
            say(String.format(Locale.ROOT, "  both sides' CPU time per job: in-process %s (%d threads in a JVM started"
                + " like the workers: %s jobs/s; on JMH's threads %s jobs/s), workers %s (the job and its"
                + " messaging, async client)", millis(p.inProcessCpuMs()), options.threads(), rate(p.inProcess()),
                rate(p.inProcessJmh()), millis(p.workersCpuMs())));
        }
        double crossover = Chart.crossover(points.stream().filter(p -> p.jobMs() > 0)
            .sorted((a, b) -> Double.compare(a.jobMs(), b.jobMs())).toList());
        if (!options.userJob() && points.size() > 1) {
            say(Double.isNaN(crossover) ? "verdict: Powerhose stays below 90% of in-process throughput at every cost"
                + " measured here." : String.format(Locale.ROOT, "verdict: Powerhose reaches 90%% of in-process"
                + " throughput from about %.1f ms per job here.", crossover));
        }
        say("Java has no GIL: in-process threads already use every core, so for pure-Java jobs on one machine"
            + " offloading cannot be faster; it pays for isolation (a crash or leak stays in the worker), workers"
            + " in other languages, and workers on other machines.");
        say("");
    }

    static String verdict(OffloadPoint p) {
        String job = p.cost().equals("-") ? "your " + duration(p.jobMs()) + " job"
            : "a " + p.cost() + " ms job";
        double ratio = p.ratio();
        if (Double.isNaN(ratio)) {
            return "offloading " + job + ": not measured.";
        }
        if (ratio >= 1.05) {
            return String.format(Locale.ROOT, "offloading %s measured %.0f%% faster than in-process here (%s vs %s"
                + " jobs/s): with no more workers than threads that can only be the JVMs running the job at"
                + " different speeds (JIT state, noise): read it as no measurable cost at this size.", job,
                100 * (ratio - 1), rate(p.bestPowerhose()), rate(p.inProcess()));
        }
        if (ratio >= 0.9) {
            return String.format(Locale.ROOT, "offloading %s costs %.0f%% of throughput here (%+.0f µs per job):"
                + " small; it pays off when the workers must be isolated, in another language or on other"
                + " machines.", job, Math.max(0, 100 * (1 - ratio)), p.overheadUs());
        }
        return String.format(Locale.ROOT, "offloading %s costs %.0f%% of throughput here (%s vs %s jobs/s, %+.0f µs"
            + " per job): keep it on in-process threads unless it needs isolation, another language or other"
            + " machines.", job, 100 * (1 - ratio), rate(p.bestPowerhose()), rate(p.inProcess()), p.overheadUs());
    }

    private void printRoundTrips(List<RunResult> results, Map<String, Floor> floors, List<String> transports,
                                 List<String> payloads, List<String> kinds) {
        say("== Round trips (where the time goes): p50 µs with 1 in flight; jobs/s with 128 in flight, 2 workers");
        say(String.format(Locale.ROOT, "%-13s %7s %9s %7s %9s %6s | %10s %10s %10s %10s %7s %7s", "", "ping",
            "echo java", "echo C", "REQ floor", "/floor", "java jobs/s", "C jobs/s", "C floor", "jzmq floor",
            "C/floor", "J/floor"));
        for (String transport : transports) {
            double ping = percentile(results, "PingBenchmark.ping", Map.of("transport", transport), 50);
            for (String payload : payloads) {
                Map<String, String> java = Map.of("transport", transport, "payload", payload, "worker", "java");
                Map<String, String> c = Map.of("transport", transport, "payload", payload, "worker", "c");
                double echoJava = percentile(results, "RoundTripBenchmark.echo", java, 50);
                double echoC = kinds.contains("c") ? percentile(results, "RoundTripBenchmark.echo", c, 50) : Double.NaN;
                double tputJava = score(results, "RoundTripBenchmark.echoInFlight", java);
                double tputC = kinds.contains("c") ? score(results, "RoundTripBenchmark.echoInFlight", c) : Double.NaN;
                Floor lat = floors.get(transport + "/" + payload + "/1");
                Floor.Pipelined cFloor = pipelined.get(transport + "/" + payload + "/C");
                Floor.Pipelined jFloor = pipelined.get(transport + "/" + payload + "/jzmq");
                double floorP50 = lat == null ? Double.NaN : lat.p50Us();
                double floorTput = cFloor == null ? Double.NaN : cFloor.jobsPerS();
                say(String.format(Locale.ROOT, "%-13s %7s %9s %7s %9s %5.2fx | %10s %10s %10s %10s %6.0f%% %6.0f%%",
                    transport + " " + size(payload), payload.equals(payloads.get(0)) ? micros(ping) : "",
                    micros(echoJava), micros(echoC), micros(floorP50), echoJava / floorP50, rate(tputJava),
                    rate(tputC), rate(floorTput), rate(jFloor == null ? Double.NaN : jFloor.jobsPerS()),
                    100 * tputC / floorTput, 100 * tputJava / floorTput));
            }
        }
        say("  ping = client -> broker -> client (no worker); /floor = echo java p50 / REQ floor p50;"
            + " C/floor and J/floor = Powerhose with C or Java workers / C floor.");
        say("  REQ floor = native/build/zmq-floor: C REQ clients -> zmq_proxy(ROUTER, DEALER) -> 2 REP echo"
            + " processes.");
        say("  C floor = zmq-floor --in-flight 128: one C DEALER client keeping 128 in flight -> zmq_proxy process ->"
            + " 2 REP processes; jzmq floor = the same with a Java DEALER client on jzmq, frame by frame.");
        say("");
    }

    /** CPU µs per job of each process: the floors', and Powerhose's from the facts its benchmarks wrote. */
    private void printCpu(List<String> facts, List<OffloadPoint> points, List<String> kinds) {
        say("== CPU per job (µs of CPU time per job, by process; ipc 64 B, 128 in flight, 2 workers)");
        say(String.format(Locale.ROOT, "%-42s %9s %9s %9s %9s %9s", "", "client", "broker", "workers", "JVM other",
            "total"));
        for (String kind : List.of("C", "jzmq")) {
            Floor.Pipelined f = pipelined.get("ipc/64/" + kind);
            if (f != null) {
                say(String.format(Locale.ROOT, "%-42s %9.1f %9.1f %9.1f %9s %9.1f", "floor, " + kind
                    + " client (broker = zmq_proxy)", f.cpuUsClient(), f.cpuUsProxy(), f.cpuUsWorkers(), "-",
                    f.cpuUsTotal()));
            }
        }
        for (String kind : kinds) {
            Map<String, String> where = Map.of("transport", "ipc", "payload", "64", "worker", kind, "metrics",
                "off");
            cpuRow("Powerhose, " + (kind.equals("c") ? "C" : "Java") + " workers", facts, where);
        }
        OffloadPoint oneMs = points.stream().filter(p -> p.cost().equals("1")).findFirst().orElse(null);
        if (oneMs != null) {
            cpuRow("Powerhose, 1 ms job, async (" + options.inFlight() + " in flight)", facts,
                Map.of("method", "powerhoseAsync", "cost", "1"));
            if (oneMsFloor != null) {
                say(String.format(Locale.ROOT, "%-42s %9.1f %9.1f %9.1f %9s %9.1f", "floor, 1 ms of work per job ("
                    + options.inFlight() + " in flight)", oneMsFloor.cpuUsClient(), oneMsFloor.cpuUsProxy(),
                    oneMsFloor.cpuUsWorkers(), "-", oneMsFloor.cpuUsTotal()));
            }
        }
        say("  Powerhose's client and broker share the benchmark JVM: client = its I/O thread, its libzmq threads, the"
            + " submitting thread and the completion threads; broker = its thread and its libzmq threads; JVM other"
            + " = JIT, GC, JMH. Workers: whole processes. From /proc/<pid>/task/<tid>/schedstat.");
        say("");
    }

    private void cpuRow(String label, List<String> facts, Map<String, String> where) {
        double client = factWhere(facts, "cpu", where, "client_us");
        if (Double.isNaN(client)) {
            return;
        }
        double broker = factWhere(facts, "cpu", where, "broker_us");
        double workers = factWhere(facts, "cpu", where, "workers_us");
        double other = factWhere(facts, "cpu", where, "jvm_other_us");
        say(String.format(Locale.ROOT, "%-42s %9.1f %9.1f %9.1f %9.1f %9.1f", label, client, broker, workers, other,
            client + broker + workers + other));
    }

    private void printTargets(List<RunResult> results, Map<String, Floor> floors, List<OffloadPoint> points) {
        say("== The issue's targets, in this run");
        Map<String, String> java = Map.of("transport", "ipc", "payload", "64", "worker", "java");
        Map<String, String> c = Map.of("transport", "ipc", "payload", "64", "worker", "c");
        Floor.Pipelined floor = pipelined.get("ipc/64/C");
        double tputC = score(results, "RoundTripBenchmark.echoInFlight", c);
        double tputJava = score(results, "RoundTripBenchmark.echoInFlight", java);
        if (floor != null) {
            double ratioC = tputC / floor.jobsPerS();
            double ratioJava = tputJava / floor.jobsPerS();
            say(String.format(Locale.ROOT, "1. throughput, 128 in flight, ipc 64 B, >= 50%% of the pipelined C floor"
                + " (C workers), >= 45%% (Java workers): %.0f%% (%s vs %s jobs/s) -> %s; Java workers %.0f%% (%s)"
                + " -> %s", 100 * ratioC, rate(tputC), rate(floor.jobsPerS()), met(ratioC >= 0.5, 0.5 / ratioC,
                    "x short"), 100 * ratioJava, rate(tputJava), met(ratioJava >= 0.45, 0.45 / ratioJava, "x short")));
        } else {
            say("1. throughput vs the pipelined floor: no floor in this run");
        }
        Floor lat = floors.get("ipc/64/1");
        double p50Java = percentile(results, "RoundTripBenchmark.echo", java, 50);
        double p50C = percentile(results, "RoundTripBenchmark.echo", c, 50);
        if (lat != null) {
            double ratio = Math.min(p50Java, Double.isNaN(p50C) ? p50Java : p50C) / lat.p50Us();
            say(String.format(Locale.ROOT, "2. echo p50, 1 in flight, 64 B ipc <= 1.2x the REQ floor: %.2fx with Java"
                + " workers (%s µs vs %s), %.2fx with C workers -> %s", p50Java / lat.p50Us(), micros(p50Java),
                micros(lat.p50Us()), p50C / lat.p50Us(), met(ratio <= 1.2, ratio / 1.2, "x too slow")));
        } else {
            say("2. echo p50 vs floor: no floor in this run");
        }
        OffloadPoint oneMs = points.stream().filter(p -> p.cost().equals("1")).findFirst().orElse(null);
        int cores = Runtime.getRuntime().availableProcessors();
        if (oneMs != null && !options.userJob()) {
            double ratio = oneMs.async() / oneMs.inProcess();
            say(String.format(Locale.ROOT, "3. 1 ms job, %d workers on %d cores, async client >= 85%% of in-process:"
                + " %.0f%% (%s vs %s jobs/s in a JVM started like the workers; CPU per job %.3f ms in-process, %.3f"
                + " ms in the workers) -> %s%s", options.workers(), cores, 100 * ratio, rate(oneMs.async()),
                rate(oneMs.inProcess()), oneMs.inProcessCpuMs(), oneMs.workersCpuMs(), met(ratio >= 0.85,
                    0.85 / ratio, "x short"), options.workers() == cores ? ""
                    : " (the target asks for as many workers as cores)"));
            if (oneMsFloor != null) {
                double ideal = Math.min(cores, options.workers()) * 1_000.0;
                say(String.format(Locale.ROOT, "   floor of 3: libzmq alone (zmq-floor --in-flight %d --work-us 1000,"
                    + " %d REP processes) reaches %s jobs/s, %.0f%% of the %s that %d cores give in-process",
                    options.inFlight(), options.workers(), rate(oneMsFloor.jobsPerS()),
                    100 * oneMsFloor.jobsPerS() / ideal, rate(ideal), Math.min(cores, options.workers())));
            }
        } else {
            say("3. 1 ms job: not in this run's costs");
        }
        Floor.Pipelined big = pipelined.get("ipc/65536/C");
        double bigC = score(results, "RoundTripBenchmark.echoInFlight", Map.of("transport", "ipc", "payload",
            "65536", "worker", "c"));
        if (big != null && !Double.isNaN(bigC)) {
            double ratio = bigC / big.jobsPerS();
            say(String.format(Locale.ROOT, "4. 64 KiB, 128 in flight, C workers >= 60%% of the floor's throughput:"
                + " %.0f%% (%s vs %s jobs/s) -> %s", 100 * ratio, rate(bigC), rate(big.jobsPerS()),
                met(ratio >= 0.6, 0.6 / ratio, "x short")));
        } else {
            say("4. 64 KiB vs floor: only in --full runs");
        }
    }

    /** The pipelined floor at the 1 ms job rate (each REP process spends 1 ms of CPU per request). */
    private void runOneMsFloor() {
        if (options.nativeDir() == null || options.mode() == BenchOptions.Mode.SMOKE
            || !options.costsMs().contains("1") || options.userJob()) {
            return;
        }
        try {
            int count = options.mode() == BenchOptions.Mode.FULL ? 8_000 : 3_000;
            oneMsFloor = Floor.runPipelined(options.nativeDir(), "ipc", 64, options.inFlight(), options.workers(),
                count, 1_000);
        } catch (IOException | InterruptedException e) {
            say("   floor at 1 ms: zmq-floor failed: " + e.getMessage());
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String met(boolean met, double factor, String unit) {
        return met ? "MET" : String.format(Locale.ROOT, "MISSED (%.2f%s)", factor, unit);
    }

    /**
     * Runs the echo round trips with metrics off and on, in alternating trials ({@code --metrics}); a quick run
     * measures each trial 3 s rather than 2 s, since the difference sought is a few percent. A smoke run (tests)
     * runs one pair of throughput trials only.
     */
    private List<RunResult> runMetrics(Path sidecar, String rounds, List<String> workerKinds, Progress progress)
        throws Exception {
        ChainedOptionsBuilder b = base(sidecar, rounds)
            .include(BENCH + "RoundTripBenchmark\\.(" + String.join("|", metricsBenchmarks()) + ")$")
            .threads(1)
            .param("transport", "ipc").param("payload", "64")
            .param("worker", workerKinds.toArray(String[]::new))
            .param("metrics", metricsTrials().toArray(String[]::new))
            .result(options.out().toAbsolutePath().resolve("jmh-metrics.json").toString());
        if (options.mode() == BenchOptions.Mode.QUICK) {
            b.measurementIterations(3);
        }
        return new ArrayList<>(new Runner(b.build(), progress).run());
    }

    /**
     * @return the trials of {@code --metrics}: JMH runs parameter values in sorted order, so off and on alternate;
     *     two pairs, one in a smoke run
     */
    private List<String> metricsTrials() {
        return options.mode() == BenchOptions.Mode.SMOKE ? List.of("1-off", "2-on")
            : List.of("1-off", "2-on", "3-off", "4-on");
    }

    private List<String> metricsBenchmarks() {
        return options.mode() == BenchOptions.Mode.SMOKE ? List.of("echoInFlight") : List.of("echo", "echoInFlight");
    }

    /**
     * Prints the echo round trips with metrics on against off, from alternating trials in this run: throughput
     * (128 in flight) and p50 (1 in flight) as the mean of the "on" trials over the mean of the "off" ones, each
     * pair's own throughput ratio (how noisy the run was), and the CPU time per job of the benchmark JVM's broker
     * and client threads, where the recording happens.
     */
    private void printMetrics(List<RunResult> results, List<String> facts, List<String> kinds) {
        List<String> trials = metricsTrials();
        int pairs = trials.size() / 2;
        say("== Metrics on vs off: ipc 64 B, 2 workers; \"on\" = the broker and the client record into a"
            + " Prometheus registry, as powerhose --metrics does; " + pairs + " pair(s) of trials, off then on");
        say(String.format(Locale.ROOT, "%-6s %11s %11s %7s %15s | %9s %9s %7s | %22s %22s", "", "off jobs/s",
            "on jobs/s", "on/off", "each pair", "off p50µs", "on p50µs", "on/off", "broker µs/job off, on",
            "client µs/job off, on"));
        boolean met = true;
        for (String kind : kinds) {
            double[] off = new double[pairs];
            double[] on = new double[pairs];
            double[] offP50 = new double[pairs];
            double[] onP50 = new double[pairs];
            double[][] cpu = new double[4][pairs]; // broker off, broker on, client off, client on
            StringBuilder each = new StringBuilder();
            for (int i = 0; i < pairs; i++) {
                Map<String, String> offWhere = Map.of("worker", kind, "metrics", trials.get(2 * i));
                Map<String, String> onWhere = Map.of("worker", kind, "metrics", trials.get(2 * i + 1));
                off[i] = score(results, "RoundTripBenchmark.echoInFlight", offWhere);
                on[i] = score(results, "RoundTripBenchmark.echoInFlight", onWhere);
                offP50[i] = percentile(results, "RoundTripBenchmark.echo", offWhere, 50);
                onP50[i] = percentile(results, "RoundTripBenchmark.echo", onWhere, 50);
                cpu[0][i] = factWhere(facts, "cpu", offWhere, "broker_us");
                cpu[1][i] = factWhere(facts, "cpu", onWhere, "broker_us");
                cpu[2][i] = factWhere(facts, "cpu", offWhere, "client_us");
                cpu[3][i] = factWhere(facts, "cpu", onWhere, "client_us");
                each.append(String.format(Locale.ROOT, "%6.1f%%", 100 * on[i] / off[i]));
            }
            double tputRatio = mean(on) / mean(off);
            double p50Ratio = mean(onP50) / mean(offP50);
            met &= tputRatio >= 0.95 && (Double.isNaN(p50Ratio) || p50Ratio <= 1.05);
            say(String.format(Locale.ROOT, "%-6s %11s %11s %6.1f%% %15s | %9s %9s %6s%% | %10.2f %10.2f"
                + "  %10.2f %10.2f", kind.equals("c") ? "C" : "Java", rate(mean(off)), rate(mean(on)),
                100 * tputRatio, each.toString().trim(), micros(mean(offP50)), micros(mean(onP50)),
                Double.isNaN(p50Ratio) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * p50Ratio),
                mean(cpu[0]), mean(cpu[1]), mean(cpu[2]), mean(cpu[3])));
        }
        say("  target: metrics on within 5% of off (throughput on/off >= 95%, p50 on/off <= 105%) -> "
            + (met ? "MET" : "MISSED"));
        say("");
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    private static double score(List<RunResult> results, String benchmark, Map<String, String> params) {
        RunResult r = find(results, benchmark, params);
        return r == null ? Double.NaN : r.getPrimaryResult().getScore();
    }

    private static double percentile(List<RunResult> results, String benchmark, Map<String, String> params, double p) {
        RunResult r = find(results, benchmark, params);
        if (r == null) {
            return Double.NaN;
        }
        double v = r.getPrimaryResult().getStatistics().getPercentile(p);
        return toMicros(v, r.getParams().getTimeUnit());
    }

    private static double toMicros(double v, TimeUnit unit) {
        return v * unit.toNanos(1) / 1e3;
    }

    private static RunResult find(List<RunResult> results, String benchmark, Map<String, String> params) {
        for (RunResult r : results) {
            if (!r.getParams().getBenchmark().endsWith("." + benchmark)) {
                continue;
            }
            boolean all = true;
            String metrics = r.getParams().getParam("metrics");
            if (!params.containsKey("metrics") && metrics != null && !metrics.endsWith("off")) {
                continue; // the tables without metrics read the trials with metrics off
            }
            for (Map.Entry<String, String> e : params.entrySet()) {
                String v = r.getParams().getParam(e.getKey());
                if (v != null && !v.equals(e.getValue())) {
                    all = false;
                }
            }
            if (all) {
                return r;
            }
        }
        return null;
    }

    /** The mean over forks of one value in facts.txt, or NaN. */
    static double fact(List<String> lines, String method, String cost, String kind, String key) {
        double sum = 0;
        int n = 0;
        for (String line : lines) {
            Map<String, String> f = new LinkedHashMap<>();
            boolean hasKind = false;
            for (String token : line.trim().split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq > 0) {
                    f.put(token.substring(0, eq), token.substring(eq + 1));
                } else if (token.equals(kind)) {
                    hasKind = true;
                }
            }
            if (hasKind && method.equals(f.get("method")) && cost.equals(f.get("cost")) && f.containsKey(key)) {
                sum += Double.parseDouble(f.get(key));
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** The mean over forks of one value in facts.txt whose line has the bare token {@code kind} and every pair. */
    static double factWhere(List<String> lines, String kind, Map<String, String> where, String key) {
        double sum = 0;
        int n = 0;
        for (String line : lines) {
            Map<String, String> f = new LinkedHashMap<>();
            boolean hasKind = false;
            for (String token : line.trim().split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq > 0) {
                    f.put(token.substring(0, eq), token.substring(eq + 1));
                } else if (token.equals(kind)) {
                    hasKind = true;
                }
            }
            boolean all = hasKind && f.containsKey(key);
            for (Map.Entry<String, String> e : where.entrySet()) {
                all &= e.getValue().equals(f.get(e.getKey()));
            }
            if (all) {
                sum += Double.parseDouble(f.get(key));
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static String rate(double v) {
        return Double.isNaN(v) ? "-" : v >= 100 ? String.format(Locale.ROOT, "%,.0f", v)
            : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String duration(double ms) {
        if (Double.isNaN(ms)) {
            return "-";
        }
        return ms < 0.1 ? String.format(Locale.ROOT, "%.1f µs", ms * 1e3) : String.format(Locale.ROOT, "%.3f ms", ms);
    }

    private static String millis(double ms) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.3f ms", ms);
    }

    private static String micros(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String size(String payload) {
        int n = Integer.parseInt(payload);
        return n >= 1024 ? (n / 1024) + " KiB" : n + " B";
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux: keep "unknown CPU"
        }
        return Runtime.getRuntime().availableProcessors() + " cores, " + cpu + ", Java "
            + System.getProperty("java.version");
    }

    private void say(String line) {
        out.println(line);
        report.append(line).append(System.lineSeparator());
    }
}
