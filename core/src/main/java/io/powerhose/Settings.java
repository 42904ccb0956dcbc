package io.powerhose;

import io.powerhose.internal.Durations;
import io.powerhose.internal.Endpoints;

import java.time.Duration;

/** Checks shared by the options builders. */
final class Settings {
    private Settings() {
    }

    static void positive(String name, Duration value) {
        Durations.requirePositive(name, value);
    }

    static void notNegative(String name, Duration value) {
        Durations.requireNotNegative(name, value);
    }

    static void endpoint(String name, String endpoint) {
        Endpoints.check(name, endpoint);
    }
}
