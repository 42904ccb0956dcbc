package io.powerhose;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Broker} is doing, as of one moment: its queue, its jobs in flight, its counters and its workers.
 * The structured form of the STATUS text (docs/PROTOCOL.md, "STATUS"): the counters carry the same keys.
 *
 * <p>The broker's thread publishes one after each heartbeat and at once when a worker registers, starts leaving or
 * is removed; {@link Broker#statusSnapshot()} returns the latest. Rates are differences of two snapshots' counters
 * over the difference of their {@link #uptime()}s.
 *
 * <p><b>Note:</b> immutable; thread safe.
 *
 * @param pid the broker's pid
 * @param uptime time since the broker started, on its monotonic clock
 * @param jobsQueued jobs waiting in the broker for a worker
 * @param queuedBytes their payload bytes
 * @param jobsInFlight jobs sent to workers and not answered yet
 * @param maxQueuedJobs the queue's bound ({@link BrokerOptions#maxQueuedJobs()})
 * @param counters every STATUS counter by its key ({@code jobs_received}, {@code jobs_ok}, ...), counted from the
 *     broker's start, in STATUS order
 * @param workers the registered workers, leaving ones included, in the order they registered
 */
public record BrokerStatus(long pid, Duration uptime, int jobsQueued, long queuedBytes, int jobsInFlight,
                           int maxQueuedJobs, Map<String, Long> counters, List<Worker> workers) {
    /**
     * Checks and copies.
     *
     * @param pid the broker's pid
     * @param uptime time since the broker started
     * @param jobsQueued jobs queued
     * @param queuedBytes their bytes
     * @param jobsInFlight jobs on workers
     * @param maxQueuedJobs the queue's bound
     * @param counters the counters (copied, order kept)
     * @param workers the workers (copied)
     */
    public BrokerStatus {
        Objects.requireNonNull(uptime, "uptime");
        counters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(counters));
        workers = List.copyOf(workers);
    }

    /**
     * @param key a STATUS counter key, e.g. {@code jobs_ok}
     * @return its value, or 0 for a key this broker does not count
     */
    public long counter(String key) {
        return counters.getOrDefault(key, 0L);
    }

    /**
     * One registered worker.
     *
     * @param id the worker's key in STATUS: its pid, then {@code #2}, {@code #3}, ... for workers sharing a pid
     * @param pid the worker's pid, as it registered
     * @param label what it registered with ({@code language@host} for our workers), cleaned as STATUS shows it
     * @param capacity jobs it runs at once
     * @param prefetch jobs it may hold beyond its capacity
     * @param jobsInFlight jobs it holds now
     * @param jobsDone jobs it answered (OK or ERROR)
     * @param jobsFailed of those, jobs it answered ERROR (or with a result over the broker's limit)
     * @param age time since it registered
     * @param lastSeen time since its last message
     * @param leaving whether it is leaving (no new jobs)
     */
    public record Worker(String id, long pid, String label, int capacity, int prefetch, int jobsInFlight,
                         long jobsDone, long jobsFailed, Duration age, Duration lastSeen, boolean leaving) {
        /**
         * Checks.
         *
         * @param id the worker's key in STATUS
         * @param pid its pid
         * @param label its label
         * @param capacity its capacity
         * @param prefetch its prefetch
         * @param jobsInFlight jobs it holds
         * @param jobsDone jobs it answered
         * @param jobsFailed jobs it answered ERROR
         * @param age time since it registered
         * @param lastSeen time since its last message
         * @param leaving whether it is leaving
         */
        public Worker {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(age, "age");
            Objects.requireNonNull(lastSeen, "lastSeen");
        }

        /** @return the language part of a {@code language@host} label, else the whole label, else {@code "-"} */
        public String language() {
            int at = label.indexOf('@');
            String language = at < 0 ? label : label.substring(0, at);
            return language.isEmpty() ? "-" : language;
        }

        /** @return the host part of a {@code language@host} label, else {@code "-"} */
        public String host() {
            int at = label.indexOf('@');
            return at < 0 || at == label.length() - 1 ? "-" : label.substring(at + 1);
        }
    }
}
