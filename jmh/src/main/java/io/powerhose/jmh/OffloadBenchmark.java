package io.powerhose.jmh;

import io.powerhose.internal.process.JavaCommand;
import io.powerhose.JobResult;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The original's bench.py done properly: the same CPU-bound jobs (HMAC-SHA256 rounds calibrated to
 * {@code cost} ms, or a user's job class) run (a) in this process on the benchmark's threads, (b) through a
 * real broker to {@code workers} Java worker processes from the same number of client threads, one job in
 * flight each, and (c) from one thread on the async client with {@code asyncInFlight} jobs in flight. The score is
 * jobs per second; each fork also writes the per-job latency percentiles of (a) and (b) and, at the end of a
 * trial, one job timed alone through the warm cluster (the check of the calibration) through {@link Sidecar}.
 *
 * <pre>{@code
 * java -jar jmh/target/benchmarks.jar OffloadBenchmark -t 2 -p cost=1,20
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = JavaCommand.ENABLE_NATIVE_ACCESS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(2)
public class OffloadBenchmark {

    /** The job and its calibration; the latency recorder of the synchronous modes. */
    @State(Scope.Benchmark)
    public static class JobState {
        /** "hmac" for the built-in job, or a job class (or Class::method) on the classpath. */
        @Param(CpuJob.HMAC)
        public String job;

        /** The built-in job's cost in ms ("-" or any value for a user's job, whose cost is what it is). */
        @Param({"0.05", "0.2", "1", "5", "20"})
        public String cost;

        /** The job's data, as text. */
        @Param("powerhose benchmark data: 64 bytes of text to sign, as bench.py did, x")
        public String data;

        CpuJob cpu;
        private final Recorder latencyNs = new Recorder(TimeUnit.MINUTES.toNanos(10), 3);
        private volatile boolean recording;
        private String label;

        /**
         * Calibrates the job in this JVM.
         *
         * @param params the benchmark's name and thread count, for the report
         * @throws Exception when the job cannot be created
         */
        @Setup(Level.Trial)
        public void calibrate(BenchmarkParams params) throws Exception {
            cpu = CpuJob.create(job, cost, data);
            String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
            label = String.format(Locale.ROOT, "offload method=%s job=%s cost=%s threads=%d", method, job, cost,
                params.getThreads());
            Sidecar.write(String.format(Locale.ROOT, "%s calibration rounds=%d inprocess_ms=%.4f", label,
                cpu.rounds(), cpu.costMs()));
        }

        /**
         * Records latencies in measurement iterations only.
         *
         * @param iteration warm-up or measurement
         */
        @Setup(Level.Iteration)
        public void startIteration(IterationParams iteration) {
            recording = iteration.getType() == IterationType.MEASUREMENT;
            if (!recording) {
                latencyNs.reset();
            }
        }

        /** Reports the latency percentiles of the measurement iterations. */
        @TearDown(Level.Trial)
        public void report() {
            Histogram h = latencyNs.getIntervalHistogram();
            if (h.getTotalCount() > 0) {
                Sidecar.write(String.format(Locale.ROOT, "%s latency count=%d mean_us=%.1f p50_us=%.1f p90_us=%.1f"
                    + " p99_us=%.1f max_us=%.1f", label, h.getTotalCount(), h.getMean() / 1e3,
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3));
            }
        }

        void record(long startNs) {
            if (recording) {
                latencyNs.recordValue(System.nanoTime() - startNs);
            }
        }
    }

    /** A broker and {@code workers} Java worker processes running the job's target, for the whole trial. */
    @State(Scope.Benchmark)
    public static class ClusterState {
        /** How many worker processes. */
        @Param("2")
        public int workers;

        Trial trial;
        /** The async windows of the benchmark threads, drained before the cluster stops. */
        final List<Window> windows = new CopyOnWriteArrayList<>();

        /**
         * Starts the cluster and warms its workers up by the in-process side's rule
         * ({@link CpuJob#runUntilSteady}): jobs in 1 s windows, every worker kept busy, until two windows in a
         * row agree on the time per job within 5% (at least 4 s, at most 30 s), so that both sides run settled
         * JIT-compiled code when measured.
         *
         * @param job the job
         * @throws Exception when a warm-up job fails
         */
        @Setup(Level.Trial)
        public void start(JobState job) throws Exception {
            trial = Trial.cluster("ipc", "java", job.cpu.target(), workers);
            Window window = new Window();
            window.resize(2 * workers);
            CpuJob.runUntilSteady(windowNs -> {
                long startNs = System.nanoTime();
                int jobs = 0;
                while (System.nanoTime() - startNs < windowNs) {
                    window.step(() -> trial.client.submit(job.cpu.job()));
                    jobs++;
                }
                return jobs;
            }, TimeUnit.SECONDS.toNanos(1), 0.05, TimeUnit.SECONDS.toNanos(4), TimeUnit.SECONDS.toNanos(30));
            window.drain();
        }

        /**
         * Times one job at a time through the cluster, now that its workers are warm, and one ping: the check
         * that a job costs in a worker what it costs in-process (plus the round trip). Then stops everything.
         *
         * @param job the job
         */
        @TearDown(Level.Trial)
        public void stop(JobState job) {
            try {
                for (Window window : windows) {
                    window.drain();
                }
                double[] jobMs = new double[7];
                double[] pingMs = new double[7];
                for (int i = 0; i < jobMs.length; i++) {
                    JobResult result = trial.client.executeForResult(job.cpu.job(), Duration.ofSeconds(60));
                    jobMs[i] = result.elapsed().toNanos() / 1e6;
                    long start = System.nanoTime();
                    trial.client.ping();
                    pingMs[i] = (System.nanoTime() - start) / 1e6;
                }
                Arrays.sort(jobMs);
                Arrays.sort(pingMs);
                Sidecar.write(String.format(Locale.ROOT, "%s check powerhose_roundtrip_ms=%.4f ping_ms=%.4f workers=%d",
                    job.label, jobMs[3], pingMs[3], workers));
            } finally {
                trial.close();
            }
        }
    }
    /** The async client's window, one per benchmark thread. */
    @State(Scope.Thread)
    public static class AsyncState {
        /** Jobs in flight. */
        @Param("32")
        public int asyncInFlight;

        final Window window = new Window();
        final CpuMeter.Recorder cpu = new CpuMeter.Recorder();

        /**
         * Sizes the window and hands it to the cluster's state, which lets its jobs finish before it stops
         * (JMH does not order the trial tear-downs of a thread state and a benchmark state).
         *
         * @param c the cluster
         */
        @Setup(Level.Trial)
        public void size(ClusterState c) {
            c.windows.add(window);
            window.resize(asyncInFlight);
        }

        /**
         * Starts counting CPU time in a measurement iteration.
         *
         * @param c the cluster
         * @param iteration warm-up or measurement
         */
        @Setup(Level.Iteration)
        public void begin(ClusterState c, IterationParams iteration) {
            cpu.begin(iteration.getType() == IterationType.MEASUREMENT, c.trial);
        }

        /**
         * Stops counting at the end of an iteration. The window stays full across iterations, so that each
         * operation is one job answered: draining it at each iteration's end made the next one start with
         * {@code inFlight} operations that waited for nothing, which inflated a 1 s iteration of 20 ms jobs
         * (about 100 jobs/s, 32 in flight) by about a third.
         *
         * @param c the cluster
         */
        @TearDown(Level.Iteration)
        public void end(ClusterState c) {
            cpu.end(c.trial);
        }


        /**
         * Writes the CPU time per job of each process to the facts.
         *
         * @param s the job
         */
        @TearDown(Level.Trial)
        public void report(JobState s) {
            Sidecar.write(s.label + " cpu " + cpu.line());
        }
    }

    /**
     * (a) The job on this thread.
     *
     * @param s the job
     * @return the result
     * @throws Exception when the job fails
     */
    @Benchmark
    public byte[] inProcess(JobState s) throws Exception {
        long start = System.nanoTime();
        byte[] result = s.cpu.handler().handle(s.cpu.job());
        s.record(start);
        return result;
    }

    /**
     * (b) The job through Powerhose, waiting for its result.
     *
     * @param s the job
     * @param c the cluster
     * @return the result
     */
    @Benchmark
    public byte[] powerhose(JobState s, ClusterState c) {
        long start = System.nanoTime();
        byte[] result = c.trial.client.execute(s.cpu.job());
        s.record(start);
        return result;
    }

    /**
     * (c) The job through Powerhose on the async client, {@code asyncInFlight} jobs in flight.
     *
     * @param s the job
     * @param c the cluster
     * @param a the window
     * @param bh sinks the results
     */
    @Benchmark
    @Threads(1)
    public void powerhoseAsync(JobState s, ClusterState c, AsyncState a, Blackhole bh) {
        a.cpu.countJob();
        bh.consume(a.window.step(() -> c.trial.client.submit(s.cpu.job())));
    }
}
