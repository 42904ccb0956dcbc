package io.powerhose.jmh;

import io.powerhose.internal.process.JavaCommand;
import io.powerhose.Job;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The echo round trip client → broker → worker → broker → client: {@link #echo} with one job in flight
 * (latency, sampled) and {@link #echoInFlight} with 128 in flight on the async client (throughput), for each
 * payload size, transport (ipc, tcp on 127.0.0.1) and worker kind (the Java {@code Echo} handler, the C
 * {@code powerhose-worker-echo}). {@link PingBenchmark} measures the client → broker leg alone; the
 * difference is the broker → worker leg and the worker.
 */
@Fork(value = 2, jvmArgsAppend = JavaCommand.ENABLE_NATIVE_ACCESS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class RoundTripBenchmark {

    /** A broker and two echo workers for the whole trial, and the job to echo. */
    @State(Scope.Benchmark)
    public static class EchoState {
        /** ipc (a Unix socket in a temp folder) or tcp (127.0.0.1). */
        @Param({"ipc", "tcp"})
        public String transport;

        /** The job's data, in bytes. */
        @Param({"64", "4096", "65536"})
        public int payload;

        /** java (the Echo handler in a worker JVM) or c (native/build/powerhose-worker-echo). */
        @Param({"java", "c"})
        public String worker;

        /** How many worker processes. */
        @Param("2")
        public int echoWorkers;

        /**
         * Metrics: "off", or "on" (the broker and the client record into a Prometheus registry); a prefix
         * ("1-off", "2-on", "3-off", "4-on") orders repeated trials, so that {@code ./bench.sh --metrics}
         * alternates off, on, off, on.
         */
        @Param("off")
        public String metrics;

        Trial trial;
        /** The async windows of the benchmark threads, drained before the cluster stops. */
        final List<Window> windows = new CopyOnWriteArrayList<>();
        Job job;

        /** Starts the cluster and warms its workers up. */
        @Setup(Level.Trial)
        public void start() {
            byte[] data = new byte[payload];
            new SplittableRandom(payload).nextBytes(data);
            job = new Job(data);
            trial = Trial.cluster(transport, worker, "io.powerhose.examples.Echo", echoWorkers,
                metrics.endsWith("on"));
            for (int i = 0; i < 1000; i++) {
                trial.client.execute(job);
            }
        }

        /** Stops the client, the workers and the broker. */
        @TearDown(Level.Trial)
        public void stop() {
            try {
                for (Window window : windows) {
                    window.drain();
                }
            } finally {
                trial.close();
            }
        }
    }

    /** The async client's window, one per benchmark thread. */
    @State(Scope.Thread)
    public static class AsyncState {
        /** Jobs in flight. */
        @Param("128")
        public int inFlight;

        final Window window = new Window();
        final CpuMeter.Recorder cpu = new CpuMeter.Recorder();

        /**
         * Sizes the window and hands it to the cluster's state, which lets its jobs finish before it stops
         * (JMH does not order the trial tear-downs of a thread state and a benchmark state).
         *
         * @param s the cluster
         */
        @Setup(Level.Trial)
        public void size(EchoState s) {
            s.windows.add(window);
            window.resize(inFlight);
        }

        /**
         * Starts counting CPU time in a measurement iteration.
         *
         * @param s the cluster
         * @param iteration warm-up or measurement
         */
        @Setup(Level.Iteration)
        public void begin(EchoState s, IterationParams iteration) {
            cpu.begin(iteration.getType() == IterationType.MEASUREMENT, s.trial);
        }

        /**
         * Stops counting at the end of an iteration. The window stays full across iterations, so that each
         * operation is one job answered: draining it at each iteration's end made the next one start with
         * {@code inFlight} operations that waited for nothing, which inflated a 1 s iteration of 20 ms jobs
         * (about 100 jobs/s, 32 in flight) by about a third.
         *
         * @param s the cluster
         */
        @TearDown(Level.Iteration)
        public void end(EchoState s) {
            cpu.end(s.trial);
        }


        /**
         * Writes the CPU time per job of each process to the facts.
         *
         * @param s the cluster
         */
        @TearDown(Level.Trial)
        public void report(EchoState s) {
            Sidecar.write(String.format(Locale.ROOT, "echoInFlight transport=%s payload=%d worker=%s metrics=%s"
                + " cpu %s", s.transport, s.payload, s.worker, s.metrics, cpu.line()));
        }
    }

    /**
     * One echo round trip at a time.
     *
     * @param s the cluster and job
     * @return the echoed data
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] echo(EchoState s) {
        return s.trial.client.execute(s.job);
    }

    /**
     * Echo jobs with {@code inFlight} in flight.
     *
     * @param s the cluster and job
     * @param a the window
     * @param bh sinks the results
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public void echoInFlight(EchoState s, AsyncState a, Blackhole bh) {
        a.cpu.countJob();
        bh.consume(a.window.step(() -> s.trial.client.submit(s.job)));
    }
}
