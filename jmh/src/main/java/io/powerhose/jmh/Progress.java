package io.powerhose.jmh;

import java.io.PrintStream;
import java.util.Collection;
import java.util.Locale;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.IterationType;
import org.openjdk.jmh.runner.format.OutputFormat;

/**
 * JMH's output for {@code ./bench.sh}: one line per benchmark on the console ({@code [3/12] 0:42 ...} with a
 * dot per iteration and the score), everything JMH says, forks' output included, in a log file; fork lines
 * that report a failure are shown on the console too. Called by JMH's runner thread only.
 */
final class Progress implements OutputFormat {
    private final PrintStream console;
    private final PrintStream log;
    private final long startNs;
    private final int total;
    private int done;

    Progress(PrintStream console, PrintStream log, long startNs, int total, int doneBefore) {
        this.console = console;
        this.log = log;
        this.startNs = startNs;
        this.total = total;
        this.done = doneBefore;
    }

    int done() {
        return done;
    }

    @Override
    public void startBenchmark(BenchmarkParams params) {
        done++;
        long s = (System.nanoTime() - startNs) / 1_000_000_000L;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%d/%d] %d:%02d %s", done, total,
            s / 60, s % 60, shortName(params.getBenchmark())));
        for (String key : params.getParamsKeys()) {
            if (key.equals("data")) {
                continue;
            }
            line.append(' ').append(key).append('=').append(params.getParam(key));
        }
        line.append(" threads=").append(params.getThreads()).append(' ');
        console.print(line);
        console.flush();
        log.println("# " + line);
    }

    @Override
    public void iteration(BenchmarkParams params, IterationParams iteration, int index) {
        // the dot comes with the result
    }

    @Override
    public void iterationResult(BenchmarkParams params, IterationParams iteration, int index, IterationResult r) {
        console.print(iteration.getType() == IterationType.WARMUP ? "w" : ".");
        console.flush();
        log.printf(Locale.ROOT, "%s %d: %.3f %s%n", iteration.getType(), index, r.getPrimaryResult().getScore(),
            r.getPrimaryResult().getScoreUnit());
    }

    @Override
    public void endBenchmark(BenchmarkResult result) {
        if (result == null) {
            console.println(" FAILED (see the log)");
            return;
        }
        console.printf(Locale.ROOT, " %.1f %s%n", result.getPrimaryResult().getScore(),
            result.getPrimaryResult().getScoreUnit());
        log.printf(Locale.ROOT, "result: %.3f %s%n", result.getPrimaryResult().getScore(),
            result.getPrimaryResult().getScoreUnit());
    }

    @Override
    public void startRun() {
    }

    @Override
    public void endRun(Collection<RunResult> results) {
        log.flush();
    }

    @Override
    public void print(String s) {
        log.print(s);
        showFailure(s);
    }

    @Override
    public void println(String s) {
        log.println(s);
        showFailure(s);
    }

    @Override
    public void verbosePrintln(String s) {
        log.println(s);
    }

    @Override
    public void flush() {
        log.flush();
    }

    @Override
    public void close() {
        log.flush();
    }

    @Override
    public void write(int b) {
        log.write(b);
    }

    @Override
    public void write(byte[] b) {
        log.write(b, 0, b.length);
    }

    private void showFailure(String s) {
        if (s.contains("<failure>") || s.contains("Exception") || s.contains("ERROR")) {
            console.println();
            console.println("  " + s.trim());
        }
    }

    static String shortName(String benchmark) {
        String[] parts = benchmark.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : benchmark;
    }
}
