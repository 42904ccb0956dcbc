package io.powerhose.jmh;

import io.powerhose.Job;
import io.powerhose.JobHandler;
import io.powerhose.examples.Sign;
import io.powerhose.internal.worker.Targets;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The job of the offload benchmark and its handler: by default {@link Sign} (HMAC-SHA256 rounds) with the
 * number of rounds calibrated, in this JVM, to a requested cost; or a user's job class run as it is. The
 * in-process side calls {@link #handler()} on the very {@link #job()} that the Powerhose side sends, so both
 * run the same code on the same bytes. Immutable once built; the handler may be called from many threads.
 *
 * @param target the handler's target name (the class the workers run)
 * @param handler the handler, for in-process runs
 * @param job the job, with its {@code rounds} header for {@link Sign}
 * @param rounds the calibrated rounds, or 0 for a user's job
 * @param costMs the time one job takes in this JVM, measured after calibration
 */
record CpuJob(String target, JobHandler handler, Job job, int rounds, double costMs) {

    /** The built-in job's name in the {@code job} parameter. */
    static final String HMAC = "hmac";

    /**
     * Rounds calibrated once by {@link Bench} for every fork, as {@code cost:rounds,...}, so that the in-process
     * and the Powerhose forks run exactly the same job; without it each fork calibrates its own.
     */
    static final String ROUNDS_PROPERTY = "powerhose.bench.rounds";

    static CpuJob create(String jobName, String costMs, String data) throws Exception {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        if (jobName.equals(HMAC)) {
            String given = System.getProperty(ROUNDS_PROPERTY, "");
            for (String pair : given.split(",")) {
                String[] kv = pair.split(":");
                if (kv.length == 2 && kv[0].equals(costMs)) {
                    Sign sign = new Sign();
                    Job job = signJob(bytes, Integer.parseInt(kv[1]));
                    warmUntilSteady(sign, job, 1_000_000_000L);
                    return new CpuJob(Sign.class.getName(), sign, job, Integer.parseInt(kv[1]), msPerJob(sign, job));
                }
            }
            return calibrated(Double.parseDouble(costMs), bytes);
        }
        JobHandler handler = Targets.resolve(jobName, Map.of());
        Job job = new Job(bytes);
        warmUntilSteady(handler, job, 500_000_000L);
        return new CpuJob(jobName, handler, job, 0, msPerJob(handler, job));
    }

    /**
     * Finds the rounds of HMAC-SHA256 that take {@code costMs} of CPU here: warm the job until its speed is
     * steady, measure, {@code rounds *= cost / measured}, and again until a measurement lands within 3% of
     * the cost (at most 6 times). The warm-up before each measurement matters: the HMAC path speeds up 2 to 3x
     * in its first seconds, and changing the rounds can make the JIT drop and recompile it (seen with
     * -XX:+PrintCompilation); one calibration in four measured that slow phase and made "1 ms" 0.55 ms.
     */
    static CpuJob calibrated(double costMs, byte[] data) throws Exception {
        if (!(costMs > 0)) {
            throw new IllegalArgumentException("cost=" + costMs + " ms must be positive");
        }
        Sign sign = new Sign();
        int rounds = 2000;
        for (int i = 0; i < 6; i++) {
            Job job = signJob(data, rounds);
            warmUntilSteady(sign, job, warmedUp ? 1_000_000_000L : 3_000_000_000L);
            warmedUp = true;
            double measured = msPerJob(sign, job);
            if (Math.abs(measured - costMs) <= 0.03 * costMs) {
                return new CpuJob(Sign.class.getName(), sign, job, rounds, measured);
            }
            rounds = (int) Math.max(1, Math.round(rounds * costMs / measured));
        }
        Job job = signJob(data, rounds);
        return new CpuJob(Sign.class.getName(), sign, job, rounds, msPerJob(sign, job));
    }

    static Job signJob(byte[] data, int rounds) {
        return new Job(data, Map.of("rounds", Integer.toString(rounds)));
    }

    /**
     * Runs the job in 0.5 s windows until two windows in a row agree on the time per job within 3% (at least
     * {@code minNs}, at most 20 s): the HMAC path keeps speeding up, by 2 to 3x, for a few seconds, longer on
     * a busy machine, and a calibration taken before it settles makes every "1 ms" job shorter when measured.
     */
    static void warmUntilSteady(JobHandler handler, Job job, long minNs) throws Exception {
        int[] sink = {0};
        runUntilSteady(windowNs -> {
            long startNs = System.nanoTime();
            int calls = 0;
            while (System.nanoTime() - startNs < windowNs) {
                sink[0] += handler.handle(job).length;
                calls++;
            }
            return calls;
        }, 500_000_000L, 0.03, minNs, 20_000_000_000L);
        consume(sink[0]);
    }

    /** Work that runs jobs for about a given time and says how many it ran. */
    interface TimedWork {
        int runFor(long ns) throws Exception;
    }

    /**
     * Runs windows of {@code work} until two windows in a row agree on the time per job within
     * {@code tolerance} of the earlier one, after at least {@code minNs}; at most {@code maxNs} in all. The
     * warm-up of both sides of the offload benchmark, so that they settle by the same rule.
     */
    static void runUntilSteady(TimedWork work, long windowNs, double tolerance, long minNs, long maxNs)
        throws Exception {
        long startNs = System.nanoTime();
        double previous = Double.NaN;
        while (true) {
            long windowStartNs = System.nanoTime();
            int jobs = work.runFor(windowNs);
            double perJob = (System.nanoTime() - windowStartNs) / (double) jobs;
            long elapsedNs = System.nanoTime() - startNs;
            if (elapsedNs >= maxNs || (elapsedNs >= minNs && Math.abs(perJob - previous) <= tolerance * previous)) {
                return;
            }
            previous = perJob;
        }
    }

    /** Runs the job until {@code ns} have passed, so that the JIT has compiled it. */
    static void warm(JobHandler handler, Job job, long ns) throws Exception {
        long end = System.nanoTime() + ns;
        int sink = 0;
        while (System.nanoTime() - end < 0) {
            sink += handler.handle(job).length;
        }
        consume(sink);
    }

    /**
     * The median of 5 timings, each of as many calls as fill 20 ms of this thread's CPU time; in ms of CPU per
     * job. CPU time, not wall time: on a shared machine another tenant's load stretches wall time at random
     * (runs of the same calibration gave 2,500 to 4,700 rounds per "ms"), while a job's CPU cost is what
     * decides the throughput the benchmark compares.
     */
    static double msPerJob(JobHandler handler, Job job) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] samples = new double[5];
        int sink = 0;
        for (int s = 0; s < samples.length; s++) {
            long start = threads.getCurrentThreadCpuTime();
            long elapsed;
            int calls = 0;
            do {
                sink += handler.handle(job).length;
                calls++;
                elapsed = threads.getCurrentThreadCpuTime() - start;
            } while (elapsed < 20_000_000L);
            samples[s] = elapsed / 1e6 / calls;
        }
        consume(sink);
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }

    private static volatile int sinkHole;
    private static boolean warmedUp;

    private static void consume(int value) {
        sinkHole = value;
    }
}
