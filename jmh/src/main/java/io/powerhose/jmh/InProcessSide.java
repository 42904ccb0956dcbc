package io.powerhose.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The in-process side of the offload verdict, in a JVM started exactly like the workers (the same command
 * builder, {@code JavaCommand}, with the workers' options), so that both sides run the job on JVMs that settle
 * the same way: {@code threads} threads run the job in a loop; they are warmed up by the workers' rule
 * ({@link CpuJob#runUntilSteady}: 1 s windows until two agree within 5%, at least 4 s), then measured for
 * {@code seconds}. Prints {@code inprocess jobs_per_s=X cpu_ms_per_job=Y} (the threads' CPU time per job).
 * Runs on main and the job threads it starts.
 */
public final class InProcessSide {
    private InProcessSide() {
    }

    /**
     * Runs the in-process side.
     *
     * @param args job, cost, data, threads, seconds, and the calibrated rounds ({@code cost:rounds,...})
     * @throws Exception when the job fails
     */
    public static void main(String[] args) throws Exception {
        System.setProperty(CpuJob.ROUNDS_PROPERTY, args[5]);
        CpuJob job = CpuJob.create(args[0], args[1], args[2]);
        int threads = Integer.parseInt(args[3]);
        long measureNs = TimeUnit.SECONDS.toNanos(Long.parseLong(args[4]));
        LongAdder done = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        long[] threadIds = new long[threads];
        Thread[] runners = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            runners[t] = new Thread(() -> {
                try {
                    while (running.get()) {
                        job.handler().handle(job.job());
                        done.increment();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "in-process-" + t);
            runners[t].start();
            threadIds[t] = runners[t].getId();
        }
        CpuJob.runUntilSteady(windowNs -> {
            long before = done.sum();
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(windowNs));
            return (int) Math.max(1, done.sum() - before);
        }, TimeUnit.SECONDS.toNanos(1), 0.05, TimeUnit.SECONDS.toNanos(4), TimeUnit.SECONDS.toNanos(30));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = cpu(mx, threadIds);
        long jobs0 = done.sum();
        long t0 = System.nanoTime();
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(measureNs));
        long jobs = done.sum() - jobs0;
        long elapsedNs = System.nanoTime() - t0;
        long cpuNs = cpu(mx, threadIds) - cpu0;
        running.set(false);
        for (Thread runner : runners) {
            runner.join();
        }
        System.out.printf(Locale.ROOT, "inprocess jobs_per_s=%.1f cpu_ms_per_job=%.4f threads=%d rounds=%d%n",
            jobs * 1e9 / elapsedNs, cpuNs / 1e6 / Math.max(1, jobs), threads, job.rounds());
    }

    private static long cpu(ThreadMXBean mx, long[] ids) {
        long total = 0;
        for (long id : ids) {
            total += Math.max(0, mx.getThreadCpuTime(id));
        }
        return total;
    }
}
