package io.powerhose.testing;

import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.Job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * A child-JVM client for the overload tests: submits {@code --calls} jobs as fast as one thread can, then waits
 * (bounded) for every call to complete, and prints one {@code key=value} line per figure: how many calls completed,
 * by outcome, how late the latest one completed past its deadline (counted from {@code submit()}), how long
 * {@code close()} took, and the process's peak RSS. Run with a small {@code -Xmx} so that a client that holds
 * without bound fails with an {@link OutOfMemoryError} instead of passing.
 */
public final class OverloadClient {
    private OverloadClient() {
    }

    /**
     * Runs the client.
     *
     * @param args {@code frontend calls timeoutMs maxOverflowMs maxPendingCalls}
     * @throws Exception on a failure of the harness itself
     */
    public static void main(String[] args) throws Exception {
        String frontend = args[0];
        int calls = Integer.parseInt(args[1]);
        Duration timeout = Duration.ofMillis(Long.parseLong(args[2]));
        Duration maxOverflow = Duration.ofMillis(Long.parseLong(args[3]));
        ClientOptions.Builder options = ClientOptions.builder().frontend(frontend).timeout(timeout)
            .timeoutMaxOverflow(maxOverflow).maxPendingCalls(Integer.parseInt(args[4]));
        Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
        Map<String, LongAccumulator> slowestByOutcome = new ConcurrentHashMap<>();
        LongAccumulator earliestTimeoutNs = new LongAccumulator(Math::min, Long.MAX_VALUE);
        LongAccumulator latestLateNs = new LongAccumulator(Math::max, Long.MIN_VALUE);
        LongAccumulator slowestSubmitNs = new LongAccumulator(Math::max, 0);
        CountDownLatch done = new CountDownLatch(calls);
        long waitNs = maxOverflow.toNanos();
        Client client = new Client(options.build());
        byte[] data = new byte[64];
        long startNs = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            long submitNs = System.nanoTime();
            CompletableFuture<byte[]> call = client.submit(new Job(data));
            slowestSubmitNs.accumulate(System.nanoTime() - submitNs);
            java.util.function.BiConsumer<byte[], Throwable> record = (result, error) -> {
                latestLateNs.accumulate(System.nanoTime() - (submitNs + waitNs));
                Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
                String outcome = cause == null ? "ok" : cause.getClass().getSimpleName();
                long nowNs = System.nanoTime();
                outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
                slowestByOutcome.computeIfAbsent(outcome, k -> new LongAccumulator(Math::max, 0))
                    .accumulate(nowNs - submitNs);
                if (cause instanceof io.powerhose.JobTimeoutException) {
                    earliestTimeoutNs.accumulate(nowNs - (submitNs + waitNs));
                }
                done.countDown();
            };
            if (call.isDone()) {
                // Refused at once: counted here, as a caller that checks would, rather than by a stage per call
                // queued on the completion executor faster than it can run them.
                try {
                    record.accept(call.join(), null);
                } catch (java.util.concurrent.CompletionException e) {
                    record.accept(null, e.getCause());
                }
            } else {
                call.whenComplete(record);
            }
        }
        long submittedNs = System.nanoTime();
        boolean all = done.await(waitNs + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
        long closeStartNs = System.nanoTime();
        client.close();
        long closeNs = System.nanoTime() - closeStartNs;
        StringBuilder out = new StringBuilder();
        out.append("calls=").append(calls).append('\n');
        out.append("completed=").append(calls - done.getCount()).append('\n');
        out.append("all_completed=").append(all).append('\n');
        out.append("submit_ms=").append((submittedNs - startNs) / 1_000_000).append('\n');
        out.append("slowest_submit_ms=").append(slowestSubmitNs.get() / 1_000_000).append('\n');
        out.append("latest_past_deadline_ms=").append(latestLateNs.get() / 1_000_000).append('\n');
        out.append("close_ms=").append(closeNs / 1_000_000).append('\n');
        new TreeMap<>(outcomes).forEach((k, v) -> out.append("outcome.").append(k).append('=').append(v).append('\n'));
        new TreeMap<>(slowestByOutcome).forEach((k, v) -> out.append("max_ms.").append(k).append('=')
            .append(v.get() / 1_000_000).append('\n'));
        out.append("earliest_timeout_before_deadline_ms=")
            .append(earliestTimeoutNs.get() == Long.MAX_VALUE ? 0 : -earliestTimeoutNs.get() / 1_000_000).append('\n');
        out.append("vm_hwm_kb=").append(peakRssKb()).append('\n');
        System.out.print(out);
        System.out.flush();
        System.exit(all ? 0 : 1);
    }

    private static long peakRssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
