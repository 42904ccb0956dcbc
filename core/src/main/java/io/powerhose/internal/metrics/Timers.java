package io.powerhose.internal.metrics;

import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/**
 * The one shape of every timer: the same SLO buckets, so that they compare in Prometheus; the broker's two also
 * keep percentiles for the status page.
 */
final class Timers {
    /** The percentiles of the broker's timers (the status page's p50/p99), over {@link #PERCENTILE_WINDOW}. */
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
     * A timer with the SLO buckets and no percentiles: the percentiles cost about 150 ns a sample on top of the
     * buckets' 90 (HdrHistogram recorders in three time windows; Micrometer 1.17, measured on the bench machine),
     * and Prometheus computes quantiles from the buckets. A user who wants them adds them with a
     * {@code MeterFilter} on the registry.
     *
     * @param name the meter's name
     * @param description what it times
     * @return a timer builder with the house's buckets
     */
    static Timer.Builder builder(String name, String description) {
        return Timer.builder(name).description(description)
            .serviceLevelObjectives(BUCKETS)
            .distributionStatisticExpiry(PERCENTILE_WINDOW)
            .distributionStatisticBufferLength(3);
    }

    /**
     * @param name the meter's name
     * @param description what it times
     * @return a timer builder with the house's buckets and percentiles over about the last minute (the status
     *     page reads them)
     */
    static Timer.Builder withPercentiles(String name, String description) {
        return builder(name, description).publishPercentiles(PERCENTILES);
    }
}
