package io.powerhose.testing;

import io.powerhose.Job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/** Job handlers for the tests, run by real worker processes as {@code io.powerhose.testing.TestTargets::name}. */
public final class TestTargets {
    private TestTargets() {
    }

    /**
     * @param job any job
     * @return its data
     */
    public static byte[] echo(Job job) {
        return job.data();
    }

    /**
     * @param job any job
     * @return never
     */
    public static String fail(Job job) {
        throw new IllegalStateException("boom: " + job.dataAsString());
    }

    /**
     * Sleeps for the number of milliseconds in the data, then echoes "slept N in PID".
     *
     * @param job data = milliseconds
     * @return what it did
     * @throws InterruptedException never in practice
     */
    public static String sleep(Job job) throws InterruptedException {
        long ms = Long.parseLong(job.dataAsString().trim());
        Thread.sleep(ms);
        return "slept " + ms + " in " + ProcessHandle.current().pid();
    }

    /**
     * Burns CPU for the number of milliseconds in the data (a busy loop), then returns the worker's pid.
     *
     * @param job data = milliseconds
     * @return the pid
     */
    public static String spin(Job job) {
        long until = System.nanoTime() + Long.parseLong(job.dataAsString().trim()) * 1_000_000;
        long x = 0;
        while (System.nanoTime() < until) {
            x += System.nanoTime() % 7;
        }
        return ProcessHandle.current().pid() + (x == 42 ? "!" : "");
    }

    /**
     * Throws an {@link OutOfMemoryError}, as a job that exhausts the heap would.
     *
     * @param job any job
     * @return never
     */
    public static String outOfMemory(Job job) {
        throw new OutOfMemoryError("test: the job exhausted the heap");
    }

    /**
     * @param job any job
     * @return the pid of the worker running it
     */
    public static String pid(Job job) {
        return Long.toString(ProcessHandle.current().pid());
    }

    /**
     * @param job any job
     * @return the header {@code h} and the data, as "h|data"
     */
    public static byte[] headerAndData(Job job) {
        return (job.header("h") + "|" + new String(job.data(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param job any job
     * @param params the worker's params
     * @return the params, as the map prints them
     */
    public static String params(Job job, java.util.Map<String, String> params) {
        return new java.util.TreeMap<>(params).toString();
    }

    /**
     * Appends the job's data and a newline to the file named by the worker param {@code run_log} (one line per run,
     * so that a test counts how many times each job ran), sleeps for the header {@code sleep_ms} when there is one,
     * then echoes the data. The C echo worker does the same with {@code --params run_log:PATH}.
     *
     * @param job data = a unique id
     * @param params the worker's params, with {@code run_log}
     * @return the data
     * @throws IOException when the file cannot be written
     * @throws InterruptedException never in practice
     */
    public static byte[] recordRun(Job job, Map<String, String> params) throws IOException, InterruptedException {
        Files.write(Path.of(params.get("run_log")), (job.dataAsString() + "\n").getBytes(StandardCharsets.UTF_8),
            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        String sleepMs = job.header("sleep_ms");
        if (sleepMs != null) {
            Thread.sleep(Long.parseLong(sleepMs));
        }
        return job.data();
    }

    /**
     * For the worker contract tests, as {@code powerhose-worker-echo} in C and {@code echo.hooks} in Python: a header
     * {@code sleep_ms} sleeps that long first; a header {@code answer:budget} answers the job's budget in ms (or
     * "none") instead of its data.
     *
     * @param job any job
     * @return the data, or the budget
     * @throws InterruptedException never in practice
     */
    public static byte[] hooks(Job job) throws InterruptedException {
        String sleepMs = job.header("sleep_ms");
        if (sleepMs != null) {
            Thread.sleep(Long.parseLong(sleepMs));
        }
        if ("budget".equals(job.header("answer"))) {
            return job.budget().map(budget -> Long.toString(budget.toMillis())).orElse("none")
                .getBytes(StandardCharsets.UTF_8);
        }
        return job.data();
    }

    /**
     * Sleeps for the header {@code sleep_ms}, then answers {@code mib} MiB of the byte 'x', the number in the data: a
     * result large enough that libzmq is still sending it for a while after the worker queued it.
     *
     * @param job data = MiB
     * @return the result
     * @throws InterruptedException never in practice
     */
    public static byte[] large(Job job) throws InterruptedException {
        String sleepMs = job.header("sleep_ms");
        if (sleepMs != null) {
            Thread.sleep(Long.parseLong(sleepMs));
        }
        byte[] result = new byte[Integer.parseInt(job.dataAsString().trim()) << 20];
        java.util.Arrays.fill(result, (byte) 'x');
        return result;
    }
}
