package io.powerhose;

import io.powerhose.internal.Durations;
import io.powerhose.internal.Endpoints;

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
        Endpoints.check(name, endpoint);
    }
}
