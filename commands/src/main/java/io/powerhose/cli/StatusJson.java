package io.powerhose.cli;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.powerhose.BrokerStatus;
import io.powerhose.internal.Version;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The body of {@code /status.json}, which the status page polls: the broker, its queue, its workers, jobs/s and
 * errors by kind over the last minute (from the {@link StatusHistory}), and the p50/p99 of the broker's timers
 * (Micrometer's, over about the last minute). Pure: it formats what it is given.
 */
final class StatusJson {
    /** The jobs a worker answered: what jobs/s counts. */
    static final List<String> DONE_KEYS = List.of("jobs_ok", "jobs_error");
    /** The errors the page shows, by STATUS key, with their names on the page. */
    static final Map<String, String> ERROR_KINDS = orderedMap(
        "jobs_error", "job failed (ERROR)",
        "jobs_expired", "expired in the queue",
        "jobs_busy", "refused: broker busy",
        "jobs_no_worker", "no worker",
        "jobs_worker_lost", "worker lost",
        "jobs_too_large", "job too large",
        "workers_lost", "workers lost",
        "late_replies", "late replies",
        "replies_undeliverable", "replies undeliverable",
        "frames_dropped", "malformed messages",
        "refusals", "peers refused",
        "frontend_dropped_full", "dropped: client queue full",
        "backend_dropped_full", "dropped: worker queue full",
        "internal_errors", "internal errors (bugs)");

    private StatusJson() {
    }

    /**
     * Renders the page's data.
     *
     * @param status the latest snapshot
     * @param frontend the broker's frontend
     * @param history the snapshots of the last minutes (may be null)
     * @param registry the registry holding the broker's timers
     * @return one JSON object
     */
    static String render(BrokerStatus status, String frontend, StatusHistory history, MeterRegistry registry) {
        List<BrokerStatus> snapshots = history == null ? new ArrayList<>() : history.snapshots();
        BrokerStatus last = snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
        if (last == null || last.pid() != status.pid() || status.uptime().compareTo(last.uptime()) > 0) {
            snapshots.add(status);
        }
        long nowNs = status.uptime().toNanos();
        long windowNs = StatusHistory.WINDOW.toNanos();
        BrokerStatus base = status;
        for (BrokerStatus s : snapshots) {
            if (s.pid() == status.pid() && nowNs - s.uptime().toNanos() <= windowNs) {
                base = s;
                break;
            }
        }
        double seconds = (nowNs - base.uptime().toNanos()) / 1e9;

        Json out = new Json();
        out.open().key("broker").open()
            .field("pid", status.pid()).field("uptime_ms", status.uptime().toMillis())
            .field("frontend", frontend).field("version", Version.text()).close();
        out.field("queued", status.jobsQueued()).field("queue_limit", status.maxQueuedJobs())
            .field("queued_bytes", status.queuedBytes()).field("in_flight", status.jobsInFlight());
        out.key("workers").array();
        for (BrokerStatus.Worker w : status.workers()) {
            out.open().field("id", w.id()).field("pid", w.pid()).field("host", w.host())
                .field("language", w.language()).field("capacity", w.capacity()).field("prefetch", w.prefetch())
                .field("in_flight", w.jobsInFlight()).field("done", w.jobsDone()).field("failed", w.jobsFailed())
                .field("age_ms", w.age().toMillis()).field("last_seen_ms", w.lastSeen().toMillis())
                .field("leaving", w.leaving()).close();
        }
        out.end();
        out.key("rate").open().field("window_s", seconds)
            .field("jobs_per_s", seconds > 0 ? (done(status) - done(base)) / seconds : 0.0);
        out.key("per_second").array();
        BrokerStatus previous = null;
        for (BrokerStatus s : snapshots) {
            if (s.pid() != status.pid() || nowNs - s.uptime().toNanos() > windowNs) {
                continue;
            }
            if (previous != null) {
                double dt = (s.uptime().toNanos() - previous.uptime().toNanos()) / 1e9;
                out.array().value((nowNs - s.uptime().toNanos()) / 1e9).value((done(s) - done(previous)) / dt).end();
            }
            previous = s;
        }
        out.end().close();
        out.key("latency_ms").open();
        timer(out, "service", registry.find("powerhose.broker.service").timer());
        timer(out, "queue_wait", registry.find("powerhose.broker.queue.wait").timer());
        out.close();
        out.key("errors").array();
        for (Map.Entry<String, String> kind : ERROR_KINDS.entrySet()) {
            long total = status.counter(kind.getKey());
            out.open().field("key", kind.getKey()).field("kind", kind.getValue()).field("total", total)
                .field("last_minute", total - base.counter(kind.getKey())).close();
        }
        out.end();
        out.key("counters").open();
        status.counters().forEach(out::field);
        out.close();
        return out.close().toString();
    }

    private static long done(BrokerStatus status) {
        long done = 0;
        for (String key : DONE_KEYS) {
            done += status.counter(key);
        }
        return done;
    }

    private static void timer(Json out, String name, Timer timer) {
        out.key(name).open();
        if (timer != null) {
            HistogramSnapshot snapshot = timer.takeSnapshot();
            out.field("count", snapshot.count());
            for (ValueAtPercentile p : snapshot.percentileValues()) {
                out.field("p" + Math.round(p.percentile() * 100), p.value(TimeUnit.NANOSECONDS) / 1e6);
            }
        }
        out.close();
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    /** A small JSON writer: objects, arrays, strings and numbers, with commas where they go. */
    static final class Json {
        private final StringBuilder out = new StringBuilder(1024);
        private boolean needComma;

        Json open() {
            comma();
            out.append('{');
            needComma = false;
            return this;
        }

        Json close() {
            out.append('}');
            needComma = true;
            return this;
        }

        Json array() {
            comma();
            out.append('[');
            needComma = false;
            return this;
        }

        Json end() {
            out.append(']');
            needComma = true;
            return this;
        }

        Json key(String key) {
            comma();
            string(key);
            out.append(':');
            needComma = false;
            return this;
        }

        Json field(String key, String value) {
            return key(key).value(value);
        }

        Json field(String key, long value) {
            key(key);
            out.append(value);
            needComma = true;
            return this;
        }

        Json field(String key, double value) {
            return key(key).value(value);
        }

        Json field(String key, boolean value) {
            key(key);
            out.append(value);
            needComma = true;
            return this;
        }

        Json value(String value) {
            comma();
            string(value);
            needComma = true;
            return this;
        }

        Json value(double value) {
            comma();
            out.append(Double.isFinite(value) ? String.format(Locale.ROOT, "%.3f", value) : "null");
            needComma = true;
            return this;
        }

        private void comma() {
            if (needComma) {
                out.append(',');
            }
        }

        private void string(String text) {
            out.append('"');
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
                            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }
}
