package io.powerhose.cli;

import io.powerhose.Broker;
import io.powerhose.BrokerOptions;
import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.ConfigurationException;
import io.powerhose.Job;
import io.powerhose.JobResult;
import io.powerhose.WorkerLostException;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.process.JavaCommand;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code powerhose-soak}: a long reliability run anyone can start. It runs a broker, Java and C echo workers that log
 * every job they run, and two clients that keep jobs in flight with unique payloads, one at-most-once (the default)
 * and one retryable; with {@code --kill-workers} it SIGKILLs a random worker every 1 to 3 s and starts another.
 * It prints a progress line every 10 s and, at the end, the figures and whether every promise of
 * docs/RELIABILITY.md held: exit 0 when they all did, 1 when one broke.
 */
@Command(name = "powerhose-soak", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run a broker, workers and clients for a while, optionally killing workers, and check the "
        + "delivery promises of docs/RELIABILITY.md.",
        "Exit codes: 0 every promise held, 1 one broke (or the run failed), 2 usage, 3 configuration."},
    version = "powerhose-soak 0.1.0")
public final class SoakCommand implements Callable<Integer> {
    private static final Pattern RUN_LINE = Pattern.compile("(once|retry)-(\\d+)-[0-9a-f]+");
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

    @Option(names = "--duration", paramLabel = "TIME",
        description = "How long to send jobs: 90s, 10m, 1h. Default: ${DEFAULT-VALUE}")
    String duration = "10m";

    @Option(names = "--kill-workers", description = "SIGKILL a random worker every --kill-every and start another.")
    boolean killWorkers;

    @Option(names = "--kill-every", paramLabel = "MIN-MAX",
        description = "Seconds between two kills, drawn at random in this range. Default: ${DEFAULT-VALUE}")
    String killEvery = "1-3";

    @Option(names = "--java-workers", paramLabel = "N", description = "Java echo workers. Default: ${DEFAULT-VALUE}")
    int javaWorkers = 2;

    @Option(names = "--c-workers", paramLabel = "N", description = "C echo workers. Default: ${DEFAULT-VALUE}")
    int cWorkers = 2;

    @Option(names = "--c-worker", paramLabel = "PATH",
        description = "The C echo worker binary (bin/powerhose-soak passes native/build/powerhose-worker-echo).")
    Path cWorker;

    @Option(names = "--in-flight", paramLabel = "N",
        description = "Jobs in flight, half at-most-once, half retryable. Default: ${DEFAULT-VALUE}")
    int inFlight = 64;

    @Option(names = "--report-every", paramLabel = "SECONDS",
        description = "Seconds between two progress lines. Default: ${DEFAULT-VALUE}")
    int reportEvery = 10;

    @Option(names = "--dir", paramLabel = "DIR",
        description = "Where the endpoints, worker logs and run logs go, kept afterwards (default: a temp dir, "
            + "deleted at the end).")
    Path dir;

    @Option(names = "--debug", description = "Debug mode")
    boolean debug;

    private final PrintStream out;

    /** Creates the command printing to standard output. */
    public SoakCommand() {
        this(System.out);
    }

    SoakCommand(PrintStream out) {
        this.out = out;
    }

    /**
     * Reads {@code 90s}, {@code 10m}, {@code 1h} or a plain number of seconds.
     *
     * @param text the text
     * @return the duration
     */
    static Duration parseDuration(String text) {
        Matcher m = Pattern.compile("(\\d+)([smh]?)").matcher(text.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new ConfigurationException("--duration=" + text + ": expected a positive number with s, m or h");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /**
     * Reads {@code MIN-MAX} seconds.
     *
     * @param text the text
     * @return {min, max} in milliseconds
     */
    static long[] parseRange(String text) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)-(\\d+(?:\\.\\d+)?)").matcher(text.trim());
        if (!m.matches()) {
            throw new ConfigurationException("--kill-every=" + text + ": expected MIN-MAX seconds, such as 1-3");
        }
        long min = Math.round(Double.parseDouble(m.group(1)) * 1000);
        long max = Math.round(Double.parseDouble(m.group(2)) * 1000);
        if (min < 100 || max < min) {
            throw new ConfigurationException("--kill-every=" + text + ": need 0.1 <= MIN <= MAX");
        }
        return new long[] {min, max};
    }

    @Override
    public Integer call() throws Exception {
        Logging.configure(debug, "stderr");
        if (!debug) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        }
        Duration length = parseDuration(duration);
        long[] killRangeMs = parseRange(killEvery);
        if (javaWorkers < 0 || cWorkers < 0 || javaWorkers + cWorkers < 2) {
            throw new ConfigurationException("--java-workers=" + javaWorkers + " --c-workers=" + cWorkers
                + ": need 2 workers or more (one is killed at a time)");
        }
        if (inFlight < 2) {
            throw new ConfigurationException("--in-flight=" + inFlight + " must be 2 or more");
        }
        if (cWorkers > 0 && (cWorker == null || !Files.isExecutable(cWorker))) {
            throw new ConfigurationException("--c-worker=" + cWorker + " is not an executable C echo worker: build it "
                + "(make -C native) or pass --c-workers 0");
        }
        boolean tempDir = dir == null;
        Path work = tempDir ? Files.createTempDirectory("powerhose-soak-") : Files.createDirectories(dir);
        Fleet fleet = new Fleet(work, cWorker);
        Thread cleanup = new Thread(fleet::close, "powerhose-soak-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            return run(work, fleet, length, killRangeMs);
        } finally {
            fleet.close();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running or has run
            }
            if (tempDir) {
                deleteRecursively(work);
            }
        }
    }

    private int run(Path work, Fleet fleet, Duration length, long[] killRangeMs) throws Exception {
        BrokerOptions brokerOptions = BrokerOptions.builder().frontend("ipc://" + work.resolve("front.ipc"))
            .backend("ipc://" + work.resolve("back.ipc")).heartbeat("ipc://" + work.resolve("beat.ipc")).build();
        try (Broker broker = Broker.start(brokerOptions)) {
            fleet.endpoints(brokerOptions.backend(), brokerOptions.heartbeat());
            for (int i = 0; i < javaWorkers + cWorkers; i++) {
                fleet.start(i < javaWorkers ? "java" : "c");
            }
            ClientOptions atMostOnceOptions = ClientOptions.builder().frontend(brokerOptions.frontend())
                .timeout(CALL_TIMEOUT).timeoutMaxOverflow(CALL_TIMEOUT).build();
            ClientOptions retryableOptions = atMostOnceOptions.newBuilder().retryable(true).build();
            try (Client once = new Client(atMostOnceOptions); Client retry = new Client(retryableOptions)) {
                awaitWorkers(once, javaWorkers + cWorkers);
                long startNs = System.nanoTime();
                long endNs = startNs + length.toNanos();
                Load atMostOnce = new Load("once", once, inFlight / 2, endNs);
                Load retrying = new Load("retry", retry, inFlight - inFlight / 2, endNs);
                Thread onceThread = new Thread(atMostOnce, "powerhose-soak-once");
                Thread retryThread = new Thread(retrying, "powerhose-soak-retry");
                onceThread.start();
                retryThread.start();
                out.printf("powerhose-soak: %s, broker pid %d, %d Java + %d C workers, %d in flight, kills %s, in %s%n",
                    duration, broker.pid(), javaWorkers, cWorkers, inFlight,
                    killWorkers ? "every " + killEvery + " s" : "off", work);
                drive(fleet, atMostOnce, retrying, startNs, endNs, killRangeMs);
                onceThread.join(CALL_TIMEOUT.toMillis() + 10_000);
                retryThread.join(CALL_TIMEOUT.toMillis() + 10_000);
                long drainEndNs = System.nanoTime() + CALL_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(10);
                while ((atMostOnce.pending() > 0 || retrying.pending() > 0) && System.nanoTime() - drainEndNs < 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
                String status = once.status(Duration.ofSeconds(2)).orElse("");
                return report(fleet, atMostOnce, retrying, System.nanoTime() - startNs, status);
            }
        }
    }

    /** Kills and reports on schedule until the end; the loads run on their own threads. */
    private void drive(Fleet fleet, Load once, Load retry, long startNs, long endNs, long[] killRangeMs) {
        long nextKillNs = killWorkers ? startNs + randomMs(killRangeMs) * 1_000_000 : Long.MAX_VALUE;
        long nextReportNs = startNs + TimeUnit.SECONDS.toNanos(reportEvery);
        while (true) {
            long nowNs = System.nanoTime();
            if (nowNs - endNs >= 0) {
                return;
            }
            if (nowNs - nextKillNs >= 0) {
                fleet.killOneAndReplace();
                nextKillNs = nowNs + randomMs(killRangeMs) * 1_000_000;
            }
            if (nowNs - nextReportNs >= 0) {
                long jobs = once.completed() + retry.completed();
                out.printf(Locale.ROOT, "t=%ds jobs=%d rate=%.0f/s kills=%d once_lost=%d retry_failed=%d wrong=%d "
                        + "p99_ms=%.1f rss_mb=%d workers_rss_mb=%d%n",
                    (nowNs - startNs) / 1_000_000_000L, jobs, jobs / ((nowNs - startNs) / 1e9), fleet.killed.size(),
                    once.failures(), retry.failures(), once.wrongPayloads.get() + retry.wrongPayloads.get(),
                    Math.max(once.latencyUs(99), retry.latencyUs(99)) / 1000.0, rssKb("VmRSS") / 1024,
                    fleet.rssKb() / 1024);
                out.flush();
                nextReportNs += TimeUnit.SECONDS.toNanos(reportEvery);
            }
            long sleepNs = Math.min(Math.min(nextKillNs, nextReportNs), endNs) - nowNs;
            LockSupport.parkNanos(Math.max(1_000_000, sleepNs));
        }
    }

    private int report(Fleet fleet, Load once, Load retry, long elapsedNs, String status) throws IOException {
        RunCounts runs = fleet.countRuns();
        List<String> broken = new ArrayList<>();
        long uncompleted = once.pending() + retry.pending();
        long wrong = once.wrongPayloads.get() + retry.wrongPayloads.get();
        if (uncompleted > 0) {
            broken.add(uncompleted + " call(s) never completed");
        }
        if (wrong > 0) {
            broken.add(wrong + " wrong payload(s)");
        }
        if (retry.failures() > 0) {
            broken.add("retryable jobs failed: " + retry.failuresByType);
        }
        Map<String, AtomicLong> onceOther = new TreeMap<>(once.failuresByType);
        onceOther.remove("WorkerLostException");
        if (!onceOther.isEmpty()) {
            broken.add("at-most-once jobs failed other than WorkerLost: " + onceOther);
        }
        Set<Long> notKilled = new java.util.HashSet<>(once.lostWorkerPids);
        notKilled.removeAll(fleet.killed);
        if (!notKilled.isEmpty()) {
            broken.add("jobs lost on workers that were not killed: " + notKilled);
        }
        if (runs.onceRanTwice > 0) {
            broken.add(runs.onceRanTwice + " at-most-once job(s) ran more than once");
        }
        if (runs.retryRanThrice > 0) {
            broken.add(runs.retryRanThrice + " retryable job(s) ran more than twice");
        }
        long answeredNeverRan = runs.answeredButNotRun(once) + runs.answeredButNotRun(retry);
        if (answeredNeverRan > 0) {
            broken.add(answeredNeverRan + " job(s) answered OK but in no run log");
        }
        double seconds = elapsedNs / 1e9;
        long jobs = once.completed() + retry.completed();
        StringBuilder text = new StringBuilder();
        text.append("seconds=").append(String.format(Locale.ROOT, "%.0f", seconds)).append('\n')
            .append("jobs=").append(jobs).append('\n')
            .append("jobs_per_s=").append(String.format(Locale.ROOT, "%.0f", jobs / seconds)).append('\n')
            .append("kills=").append(fleet.killed.size()).append('\n')
            .append("once_ok=").append(once.ok).append('\n')
            .append("once_worker_lost=").append(once.failures()).append('\n')
            .append("retry_ok=").append(retry.ok).append('\n')
            .append("retry_failed=").append(retry.failures()).append('\n')
            .append("retry_ran_twice=").append(runs.retryRanTwice).append('\n')
            .append("wrong_payloads=").append(wrong).append('\n')
            .append("uncompleted=").append(uncompleted).append('\n')
            .append("latency_p50_ms=").append(ms(Math.max(once.latencyUs(50), retry.latencyUs(50)))).append('\n')
            .append("latency_p99_ms=").append(ms(Math.max(once.latencyUs(99), retry.latencyUs(99)))).append('\n')
            .append("latency_p999_ms=").append(ms(Math.max(once.latencyUs(99.9), retry.latencyUs(99.9)))).append('\n')
            .append("latency_max_ms=").append(ms(Math.max(once.latencyUs(100), retry.latencyUs(100)))).append('\n')
            .append("soak_jvm_rss_mb=").append(rssKb("VmRSS") / 1024).append('\n')
            .append("soak_jvm_peak_rss_mb=").append(rssKb("VmHWM") / 1024).append('\n');
        for (String key : List.of("jobs_retried", "jobs_worker_lost", "workers_lost", "late_replies",
            "frames_dropped")) {
            status.lines().filter(line -> line.startsWith(key + "=")).findFirst()
                .ifPresent(line -> text.append("broker_").append(line).append('\n'));
        }
        text.append("promises=").append(broken.isEmpty() ? "held" : "BROKEN: " + String.join("; ", broken))
            .append('\n');
        out.print(text);
        out.flush();
        if (!broken.isEmpty()) {
            System.err.println("powerhose-soak: first failures: " + once.examples + " " + retry.examples
                + "; workers' output and run logs in " + fleet.work + (dir == null ? " (deleted: use --dir)" : ""));
        }
        return broken.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private static String ms(long us) {
        return String.format(Locale.ROOT, "%.1f", us / 1000.0);
    }

    private static long randomMs(long[] range) {
        return ThreadLocalRandom.current().nextLong(range[0], range[1] + 1);
    }

    private static void awaitWorkers(Client client, int count) {
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadlineNs < 0) {
            String status = client.status(Duration.ofSeconds(1)).orElse("");
            if (status.lines().anyMatch(line -> line.equals("workers=" + count))) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new IllegalStateException("the " + count + " workers did not register within 60 s");
    }

    private static long rssKb(String field) {
        return rssKb(Path.of("/proc/self/status"), field);
    }

    private static long rssKb(Path procStatus, String field) {
        try {
            for (String line : Files.readAllLines(procStatus)) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** One client's load: jobs in flight with unique payloads ({@code <name>-<seq>-<random>}), every outcome kept. */
    private static final class Load implements Runnable {
        final String name;
        final Client client;
        final int slotCount;
        final Semaphore slots;
        final long endNs;
        final AtomicLong submitted = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong wrongPayloads = new AtomicLong();
        final Map<String, AtomicLong> failuresByType = new ConcurrentHashMap<>();
        final Set<Long> lostWorkerPids = ConcurrentHashMap.newKeySet();
        final List<String> examples = new CopyOnWriteArrayList<>();
        /** The sequence numbers answered OK, to check that each ran. */
        final BitSet answeredOk = new BitSet();
        final Histogram latencyUs = new Histogram(3_600_000_000L, 3);

        Load(String name, Client client, int slotCount, long endNs) {
            this.name = name;
            this.client = client;
            this.slotCount = slotCount;
            this.slots = new Semaphore(slotCount);
            this.endNs = endNs;
        }

        @Override
        public void run() {
            int seq = 0;
            while (System.nanoTime() - endNs < 0) {
                slots.acquireUninterruptibly();
                int thisSeq = seq++;
                String data = name + "-" + thisSeq + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
                long sentNs = System.nanoTime();
                submitted.incrementAndGet();
                client.submitForResult(new Job(data), CALL_TIMEOUT).whenComplete((result, error) -> {
                    try {
                        record(thisSeq, data, sentNs, result, error);
                    } finally {
                        slots.release();
                    }
                });
            }
        }

        private void record(int seq, String data, long sentNs, JobResult result, Throwable error) {
            if (error == null) {
                synchronized (this) {
                    latencyUs.recordValue(Math.max(1, (System.nanoTime() - sentNs) / 1_000));
                    answeredOk.set(seq);
                }
                ok.incrementAndGet();
                if (!result.dataAsString().equals(data)) {
                    wrongPayloads.incrementAndGet();
                    note("sent " + data + ", got " + result.dataAsString());
                }
                return;
            }
            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            failuresByType.computeIfAbsent(cause.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
            if (cause instanceof WorkerLostException lost) {
                lostWorkerPids.add(lost.workerPid());
            }
            note(data + ": " + cause);
        }

        private void note(String example) {
            if (examples.size() < 5) {
                examples.add(example);
            }
        }

        long failures() {
            return failuresByType.values().stream().mapToLong(AtomicLong::get).sum();
        }

        long completed() {
            return ok.get() + failures();
        }

        long pending() {
            return submitted.get() - completed();
        }

        synchronized long latencyUs(double percentile) {
            return latencyUs.getTotalCount() == 0 ? 0 : latencyUs.getValueAtPercentile(percentile);
        }
    }

    /** Runs per job, read from every worker's run log. */
    private static final class RunCounts {
        byte[] once = new byte[1 << 16];
        byte[] retry = new byte[1 << 16];
        long onceRanTwice;
        long retryRanTwice;
        long retryRanThrice;

        void add(String load, int seq) {
            byte[] counts = load.equals("once") ? once : retry;
            if (seq >= counts.length) {
                counts = java.util.Arrays.copyOf(counts, Math.max(seq + 1, counts.length * 2));
                if (load.equals("once")) {
                    once = counts;
                } else {
                    retry = counts;
                }
            }
            if (counts[seq] < 100) {
                counts[seq]++;
            }
            if (load.equals("once") && counts[seq] == 2) {
                onceRanTwice++;
            } else if (load.equals("retry") && counts[seq] == 2) {
                retryRanTwice++;
            } else if (load.equals("retry") && counts[seq] == 3) {
                retryRanThrice++;
            }
        }

        long answeredButNotRun(Load load) {
            byte[] counts = load.name.equals("once") ? once : retry;
            long missing = 0;
            synchronized (load) {
                for (int seq = load.answeredOk.nextSetBit(0); seq >= 0; seq = load.answeredOk.nextSetBit(seq + 1)) {
                    if (seq >= counts.length || counts[seq] == 0) {
                        missing++;
                    }
                }
            }
            return missing;
        }
    }

    /** The worker processes: started, killed and replaced by their own handles; each writes its own run log. */
    private final class Fleet implements AutoCloseable {
        final Path work;
        final Path cBinary;
        final List<Process> running = new ArrayList<>();
        final List<String> kinds = new ArrayList<>();
        final List<Path> runLogs = new ArrayList<>();
        final Set<Long> killed = ConcurrentHashMap.newKeySet();
        String backend;
        String heartbeat;
        int started;

        Fleet(Path work, Path cBinary) {
            this.work = work;
            this.cBinary = cBinary;
        }

        void endpoints(String backendEndpoint, String heartbeatEndpoint) {
            this.backend = backendEndpoint;
            this.heartbeat = heartbeatEndpoint;
        }

        synchronized void start(String kind) throws IOException {
            int n = ++started;
            Path runLog = work.resolve("runs-" + n + "-" + kind + ".log");
            List<String> command;
            if (kind.equals("java")) {
                command = JavaCommand.of("io.powerhose.cli.WorkerCommand", List.of("-XX:+UseSerialGC", "-Xmx256m"),
                    List.of("--backend", backend, "--heartbeat", heartbeat, "--params", "run_log:" + runLog,
                        "--parent-pid", Long.toString(ProcessHandle.current().pid()),
                        "io.powerhose.examples.Echo::logged"));
            } else {
                command = List.of(cBinary.toString(), "--backend", backend, "--heartbeat", heartbeat, "--params",
                    "run_log:" + runLog);
            }
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("worker-" + n + "-" + kind + ".out").toFile()).start();
            running.add(process);
            kinds.add(kind);
            runLogs.add(runLog);
        }

        synchronized void killOneAndReplace() {
            int victim = ThreadLocalRandom.current().nextInt(running.size());
            Process process = running.remove(victim);
            String kind = kinds.remove(victim);
            killed.add(process.pid());
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
                start(kind);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** @return the workers' resident memory now, in KiB */
        synchronized long rssKb() {
            long kb = 0;
            for (Process process : running) {
                kb += Math.max(0, SoakCommand.rssKb(Path.of("/proc", Long.toString(process.pid()), "status"), "VmRSS"));
            }
            return kb;
        }

        RunCounts countRuns() throws IOException {
            RunCounts counts = new RunCounts();
            List<Path> logs;
            synchronized (this) {
                logs = List.copyOf(runLogs);
            }
            for (Path log : logs) {
                if (!Files.exists(log)) {
                    continue;
                }
                try (BufferedReader reader = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        Matcher m = RUN_LINE.matcher(line);
                        if (m.matches()) {
                            counts.add(m.group(1), Integer.parseInt(m.group(2)));
                        }
                    }
                }
            }
            return counts;
        }

        @Override
        public synchronized void close() {
            for (Process process : running) {
                process.destroy();
            }
            for (Process process : running) {
                try {
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    process.destroyForcibly();
                }
            }
            running.clear();
        }
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(Commands.run(new SoakCommand(), args));
    }
}
