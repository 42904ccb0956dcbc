package io.powerhose.cli;

import java.time.Duration;

/** Converts the commands' second counts (as the documented options give them) to durations. */
final class Seconds {
    private Seconds() {
    }

    static Duration of(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    /** A default as the options give it: seconds (the defaults live in {@code io.powerhose.internal.Defaults}). */
    static double in(Duration duration) {
        return duration.toNanos() / 1e9;
    }
}
