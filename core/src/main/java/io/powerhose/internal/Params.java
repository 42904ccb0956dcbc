package io.powerhose.internal;

import io.powerhose.ConfigurationException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A worker's params in the documented text form {@code key:value|k2:v2}, as {@code --params} takes them
 * (the worker and cluster commands, a cluster's worker processes). Pure; any thread.
 */
public final class Params {
    private Params() {
    }

    /**
     * Parses params in the documented text form {@code key:value|k2:v2}.
     *
     * @param text the text; empty gives no params
     * @return the params in order
     * @throws ConfigurationException when an entry has no ':'
     */
    public static Map<String, String> parse(String text) {
        Map<String, String> params = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return params;
        }
        for (String entry : text.split("\\|")) {
            if (entry.isEmpty()) {
                continue;
            }
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                throw new ConfigurationException("params=" + text + ": entry '" + entry + "' is not key:value");
            }
            params.put(entry.substring(0, colon), entry.substring(colon + 1));
        }
        return params;
    }
}
