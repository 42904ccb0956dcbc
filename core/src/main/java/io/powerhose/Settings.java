package io.powerhose;

import io.powerhose.internal.Durations;
import java.time.Duration;

/** Checks shared by the options builders. */
final class Settings {
    private Settings() {
    }

    static void positive(String name, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new ConfigurationException(name + "=" + Durations.text(value) + " must be positive");
        }
    }

    static void notNegative(String name, Duration value) {
        if (value.isNegative()) {
            throw new ConfigurationException(name + "=" + Durations.text(value) + " must not be negative");
        }
    }

    static void endpoint(String name, String endpoint) {
        int scheme = endpoint.indexOf("://");
        if (scheme <= 0 || scheme + 3 == endpoint.length()) {
            throw new ConfigurationException(name + "=" + endpoint
                + " is not a ZeroMQ endpoint (expected e.g. ipc:///tmp/x.ipc or tcp://127.0.0.1:5555)");
        }
    }
}
