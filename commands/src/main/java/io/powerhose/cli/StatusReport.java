package io.powerhose.cli;

import io.powerhose.internal.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A broker's STATUS text (docs/PROTOCOL.md, "STATUS keys") read into its parts, and printed as a table or as
 * JSON. Pure: {@code powerhose-status} asks, this formats.
 */
final class StatusReport {
    private static final Set<String> BROKER_KEYS = Set.of("pid", "uptime_ms", "workers", "queued", "in_flight");

    private final Map<String, String> broker = new LinkedHashMap<>();
    private final Map<String, String> counters = new LinkedHashMap<>();
    private final List<Map<String, String>> workers = new ArrayList<>();

    private StatusReport() {
    }

    /**
     * Reads a STATUS text. Unknown keys are counters; worker lines give pid, host, language (READY's label split
     * at '@'), capacity, prefetch, in_flight, done, age_ms and leaving.
     *
     * @param text one {@code key=value} per line
     * @return the report
     */
    static StatusReport parse(String text) {
        StatusReport report = new StatusReport();
        for (String line : text.lines().toList()) {
            int equals = line.indexOf('=');
            if (equals <= 0) {
                continue;
            }
            String key = line.substring(0, equals);
            String value = line.substring(equals + 1);
            if (key.startsWith("worker.")) {
                report.workers.add(worker(key.substring("worker.".length()), value));
            } else if (BROKER_KEYS.contains(key)) {
                report.broker.put(key, value);
            } else {
                report.counters.put(key, value);
            }
        }
        return report;
    }

    private static Map<String, String> worker(String id, String value) {
        Map<String, String> fields = new LinkedHashMap<>();
        int hash = id.indexOf('#');
        fields.put("pid", hash < 0 ? id : id.substring(0, hash));
        Map<String, String> raw = new LinkedHashMap<>();
        for (String item : value.split(",")) {
            int colon = item.indexOf(':');
            raw.put(colon < 0 ? item : item.substring(0, colon), colon < 0 ? "true" : item.substring(colon + 1));
        }
        String label = raw.getOrDefault("label", "-");
        int at = label.indexOf('@');
        fields.put("host", at < 0 ? "-" : label.substring(at + 1));
        fields.put("language", at < 0 ? label : label.substring(0, at));
        for (String key : List.of("capacity", "prefetch", "in_flight", "done", "age_ms")) {
            fields.put(key, raw.getOrDefault(key, "-"));
        }
        fields.put("leaving", Boolean.toString(raw.containsKey("leaving")));
        return fields;
    }

    /** @return the worker rows, in the broker's order */
    List<Map<String, String>> workers() {
        return workers;
    }

    /** @return the counters, in the broker's order */
    Map<String, String> counters() {
        return counters;
    }

    /**
     * Prints the report as a table.
     *
     * @param frontend the broker's frontend, for the first line
     * @return the lines
     */
    String table(String frontend) {
        StringBuilder out = new StringBuilder();
        out.append("broker    pid ").append(broker.getOrDefault("pid", "-")).append(", up ")
            .append(age(broker.get("uptime_ms"))).append(", frontend ").append(frontend).append('\n');
        out.append("jobs      ").append(broker.getOrDefault("queued", "-")).append(" queued, ")
            .append(broker.getOrDefault("in_flight", "-")).append(" in flight\n");
        out.append("workers   ").append(broker.getOrDefault("workers", Integer.toString(workers.size())))
            .append("\n\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"PID", "HOST", "LANGUAGE", "CAPACITY", "PREFETCH", "IN FLIGHT", "JOBS DONE", "AGE", ""});
        for (Map<String, String> w : workers) {
            rows.add(new String[] {w.get("pid"), w.get("host"), w.get("language"), w.get("capacity"),
                w.get("prefetch"), w.get("in_flight"), w.get("done"), age(w.get("age_ms")),
                Boolean.parseBoolean(w.get("leaving")) ? "leaving" : ""});
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]).append(" ".repeat(widths[i] - row[i].length() + 2));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        if (workers.isEmpty()) {
            out.append("(no worker registered)\n");
        }
        out.append("\ncounters\n");
        int keyWidth = counters.keySet().stream().mapToInt(String::length).max().orElse(0);
        counters.forEach((key, value) -> out.append("  ").append(key).append(" ".repeat(keyWidth - key.length() + 2))
            .append(value).append('\n'));
        return out.toString();
    }

    /**
     * Prints the report as one JSON object: {@code broker} (pid, uptime_ms, frontend), {@code queued},
     * {@code in_flight}, {@code workers} (an array of objects) and {@code counters}; numbers as numbers.
     *
     * @param frontend the broker's frontend
     * @return the JSON text, on one line
     */
    String json(String frontend) {
        StringBuilder out = new StringBuilder("{\"broker\":{\"pid\":").append(value(broker.get("pid")))
            .append(",\"uptime_ms\":").append(value(broker.get("uptime_ms")))
            .append(",\"frontend\":").append(string(frontend)).append('}')
            .append(",\"queued\":").append(value(broker.get("queued")))
            .append(",\"in_flight\":").append(value(broker.get("in_flight")))
            .append(",\"workers\":[");
        for (int i = 0; i < workers.size(); i++) {
            out.append(i == 0 ? "{" : ",{");
            int field = 0;
            for (Map.Entry<String, String> e : workers.get(i).entrySet()) {
                out.append(field++ == 0 ? "" : ",").append(string(e.getKey())).append(':')
                    .append(e.getKey().equals("leaving") ? e.getValue() : value(e.getValue()));
            }
            out.append('}');
        }
        out.append("],\"counters\":{");
        int field = 0;
        for (Map.Entry<String, String> e : counters.entrySet()) {
            out.append(field++ == 0 ? "" : ",").append(string(e.getKey())).append(':').append(value(e.getValue()));
        }
        return out.append("}}").toString();
    }

    /** A number stays a number; anything else (or nothing) is a string, or null. */
    private static String value(String text) {
        if (text == null || text.equals("-")) {
            return "null";
        }
        return text.matches("-?\\d{1,18}") ? text : string(text);
    }

    private static String string(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** An age in ms as people read it: "12.3 s", "12 min 3 s", "5 h 12 min", "3 d 4 h". */
    static String age(String ms) {
        if (ms == null || !ms.matches("\\d{1,18}")) {
            return "-";
        }
        long total = Long.parseLong(ms);
        long s = total / 1000;
        if (s < 60) {
            return Durations.text(Duration.ofMillis(total));
        }
        if (s < 3600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        if (s < 86_400) {
            return (s / 3600) + " h " + (s % 3600 / 60) + " min";
        }
        return (s / 86_400) + " d " + (s % 86_400 / 3600) + " h";
    }
}
