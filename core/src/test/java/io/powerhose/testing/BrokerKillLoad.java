package io.powerhose.testing;

import io.powerhose.BrokerLostException;
import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.Job;
import io.powerhose.internal.client.Probe;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A load for the two-broker tests: {@code jobs} calls of unique data to {@code TestTargets::concurrency}, 64 in
 * flight, with an action (killing a broker) once a number of them have ended; then a count of what happened to
 * every call. Used in the test JVM, and in a client process inside a network namespace ({@link #main}).
 */
public final class BrokerKillLoad {
    /** Calls in flight. */
    public static final int IN_FLIGHT = 64;

    /**
     * What a load's calls did.
     *
     * @param jobs calls made
     * @param failed calls that failed with BrokerLost (allowed unless retryable)
     * @param wrong what must not happen: a call ended other than once, a wrong result, a worker over its capacity,
     *              another failure, or BrokerLost for a call made after the first BrokerLost was seen
     * @param mostAtOnce the most jobs a worker reported running at once
     * @param firstLostNs when the first BrokerLost was seen ({@code System.nanoTime()}), or Long.MAX_VALUE
     */
    public record Outcome(int jobs, int failed, List<String> wrong, int mostAtOnce, long firstLostNs) {
        /** @return the outcome on one line, for {@link #parse} */
        public String line() {
            return "OUTCOME jobs=" + jobs + " failed=" + failed + " mostAtOnce=" + mostAtOnce + " firstLostNs="
                + firstLostNs + " wrong=" + wrong.size() + " " + wrong.subList(0, Math.min(5, wrong.size()));
        }

        /**
         * @param text output holding a line of {@link #line()}
         * @return the outcome (its wrong list holds one summary element when not empty)
         */
        public static Outcome parse(String text) {
            for (String line : text.split("\n")) {
                if (line.startsWith("OUTCOME ")) {
                    String[] words = line.split(" ", 7);
                    int wrongCount = Integer.parseInt(value(words[5]));
                    return new Outcome(Integer.parseInt(value(words[1])), Integer.parseInt(value(words[2])),
                        wrongCount == 0 ? List.of() : List.of(wrongCount + " wrong: " + words[6]),
                        Integer.parseInt(value(words[3])), Long.parseLong(value(words[4])));
                }
            }
            throw new AssertionError("no OUTCOME line in:\n" + text);
        }

        private static String value(String word) {
            return word.substring(word.indexOf('=') + 1);
        }
    }

    private BrokerKillLoad() {
    }

    /**
     * Runs a load and counts it.
     *
     * @param client the client (given several brokers)
     * @param jobs how many calls
     * @param actionAfter run {@code action} once this many calls have ended
     * @param action what to do then, or null
     * @param capacity each worker's capacity
     * @param retryable true when the client's jobs are retryable: then no failure is allowed
     * @return what the calls did
     */
    public static Outcome run(Client client, int jobs, int actionAfter, Runnable action, int capacity,
                              boolean retryable) {
        AtomicIntegerArray completions = new AtomicIntegerArray(jobs);
        AtomicReferenceArray<Object> outcomes = new AtomicReferenceArray<>(jobs);
        long[] submitNs = new long[jobs];
        AtomicLong firstLostNs = new AtomicLong(Long.MAX_VALUE);
        AtomicInteger done = new AtomicInteger();
        Semaphore slots = new Semaphore(IN_FLIGHT);
        boolean acted = action == null;
        for (int i = 0; i < jobs; i++) {
            if (!acted && done.get() >= actionAfter) {
                action.run();
                acted = true;
            }
            acquire(slots, 1);
            int index = i;
            submitNs[i] = System.nanoTime();
            client.submit(new Job("job-" + i)).whenComplete((data, error) -> {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
                if (cause instanceof BrokerLostException) {
                    firstLostNs.accumulateAndGet(System.nanoTime(), Math::min);
                }
                outcomes.set(index, cause != null ? cause : new String(data, StandardCharsets.UTF_8));
                completions.incrementAndGet(index);
                done.incrementAndGet();
                slots.release();
            });
        }
        acquire(slots, IN_FLIGHT);
        List<String> wrong = new ArrayList<>();
        if (!acted) {
            wrong.add("the load ended before its action ran");
        }
        int failed = 0;
        int mostAtOnce = 0;
        for (int i = 0; i < jobs; i++) {
            Object outcome = outcomes.get(i);
            if (completions.get(i) != 1) {
                wrong.add("call " + i + " ended " + completions.get(i) + " times");
            } else if (outcome instanceof String text) {
                int colon = text.indexOf(':');
                int atOnce = Integer.parseInt(text.substring(0, colon));
                mostAtOnce = Math.max(mostAtOnce, atOnce);
                if (!text.substring(colon + 1).equals("job-" + i) || atOnce > capacity) {
                    wrong.add("call " + i + " got " + text);
                }
            } else if (!retryable && outcome instanceof BrokerLostException) {
                failed++;
                if (submitNs[i] - firstLostNs.get() > 0) {
                    wrong.add("call " + i + " was made after the loss was detected, and failed: " + outcome);
                }
            } else {
                wrong.add("call " + i + " failed: " + outcome);
            }
        }
        return new Outcome(jobs, failed, wrong, mostAtOnce, firstLostNs.get());
    }

    /**
     * A client process for the hosts test: {@code FRONTENDS CAPACITY STATUS_FRONTEND}. Waits until every broker
     * sees 4 workers, then runs 20,000 calls at 64 in
     * flight, prints {@code KILL} after 5,000 have ended and goes on; prints the outcome; waits for a line on stdin
     * (the broker was restarted), waits until that broker ({@code STATUS_FRONTEND}) sees 4 workers, runs 2,000
     * calls with the same client, prints their outcome and {@code ROUTED n}, the jobs that broker routed.
     *
     * @param args the frontends, the workers' capacity, the frontend of the broker that is killed
     * @throws Exception when stdin cannot be read
     */
    public static void main(String[] args) throws Exception {
        int capacity = Integer.parseInt(args[1]);
        for (String frontend : args[0].split(",")) {
            TestCluster.await(() -> {
                String status = Probe.status(frontend, Duration.ofSeconds(1));
                return status != null && TestCluster.value(status, "workers").equals("4");
            }, Duration.ofSeconds(30), () -> "broker " + frontend + " did not see 4 workers");
        }
        try (Client client = new Client(ClientOptions.builder().frontend(args[0])
            .timeout(Duration.ofSeconds(10)).timeoutMaxOverflow(Duration.ofSeconds(15)).build())) {
            Outcome first = run(client, 20_000, 5_000, () -> System.out.println("KILL"), capacity, false);
            System.out.println(first.line());
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            TestCluster.await(() -> {
                String status = Probe.status(args[2], Duration.ofSeconds(1));
                return status != null && TestCluster.value(status, "workers").equals("4");
            }, Duration.ofSeconds(30), () -> "the restarted broker did not see 4 workers");
            Outcome second = run(client, 2_000, 0, null, capacity, false);
            System.out.println("AFTER " + second.line());
            String status = Probe.status(args[2], Duration.ofSeconds(2));
            System.out.println("ROUTED " + (status == null ? -1 : TestCluster.value(status, "jobs_routed")));
        }
    }

    private static void acquire(Semaphore slots, int permits) {
        try {
            if (!slots.tryAcquire(permits, 30, TimeUnit.SECONDS)) {
                throw new AssertionError("calls did not end within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
