package io.powerhose.cli;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The Prometheus text format read line by line, for the tests: each sample as {@code name{labels}} (labels in the
 * order the registry wrote them) to its value, and the metric families from the {@code # TYPE} lines.
 */
final class PrometheusText {
    final Map<String, Double> samples = new LinkedHashMap<>();
    final Map<String, String> typeByFamily = new LinkedHashMap<>();

    static PrometheusText parse(String text) {
        PrometheusText out = new PrometheusText();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring("# TYPE ".length()).split(" ");
                out.typeByFamily.put(parts[0], parts[1]);
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            String key = line.substring(0, space);
            String value = line.substring(space + 1);
            if (out.samples.put(key, Double.parseDouble(value)) != null) {
                throw new IllegalArgumentException("sample twice: " + key);
            }
        }
        return out;
    }

    /**
     * @param key {@code name} or {@code name{a="b",...}} exactly as written
     * @return the value
     * @throws AssertionError when absent
     */
    double value(String key) {
        Double value = samples.get(key);
        if (value == null) {
            throw new AssertionError("no sample " + key + "; samples of that name: " + samplesOf(key));
        }
        return value;
    }

    /** @return the samples whose key starts with this name (before any label) */
    Map<String, Double> samplesOf(String key) {
        String name = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
        Map<String, Double> out = new LinkedHashMap<>();
        samples.forEach((k, v) -> {
            if (k.equals(name) || k.startsWith(name + "{")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** @return every sample name (without labels) */
    Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (String key : samples.keySet()) {
            names.add(key.contains("{") ? key.substring(0, key.indexOf('{')) : key);
        }
        return names;
    }
}
