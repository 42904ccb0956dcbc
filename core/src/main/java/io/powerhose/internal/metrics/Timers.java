package io.powerhose.internal.metrics;

import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/** The one shape of every timer: the same percentiles, window and SLO buckets, so that they compare. */
final class Timers {
    /** The percentiles every timer publishes (and the status page shows), over {@link #PERCENTILE_WINDOW}. */
    static final double[] PERCENTILES = {0.5, 0.9, 0.99};
    /** How long a timer's percentiles remember a sample: about the last minute (between 40 and 60 s). */
    static final Duration PERCENTILE_WINDOW = Duration.ofMinutes(1);
    /** The SLO buckets of every timer: 100 µs to 60 s, two or three per power of ten. */
    static final Duration[] BUCKETS = {
        Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
        Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60)};

    private Timers() {
    }

    /**
     * @param name the meter's name
     * @param description what it times
     * @return a timer builder with the house's percentiles, window and buckets
     */
    static Timer.Builder builder(String name, String description) {
        return Timer.builder(name).description(description)
            .publishPercentiles(PERCENTILES)
            .serviceLevelObjectives(BUCKETS)
            .distributionStatisticExpiry(PERCENTILE_WINDOW)
            .distributionStatisticBufferLength(3);
    }
}
