package io.powerhose.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * Durations as people read them in messages and logs: {@code "7.5 s"}, {@code "250 ms"}, not {@code "PT7.5S"}.
 * Pure.
 */
public final class Durations {
    private Durations() {
    }

    /**
     * Formats a duration: seconds from 1 s up, with at most three decimals ({@code "7.5 s"}); milliseconds below,
     * to three significant digits ({@code "338 ms"}, {@code "2.5 ms"}).
     *
     * @param duration the duration (null gives "none")
     * @return the text
     */
    public static String text(Duration duration) {
        if (duration == null) {
            return "none";
        }
        long nanos = duration.toNanos();
        if (Math.abs(nanos) >= 1_000_000_000L) {
            return BigDecimal.valueOf(nanos, 9).setScale(3, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString()
                + " s";
        }
        return BigDecimal.valueOf(nanos, 6).round(new MathContext(3, RoundingMode.HALF_UP)).stripTrailingZeros()
            .toPlainString() + " ms";
    }

    /**
     * Formats a duration given in nanoseconds.
     *
     * @param nanos the duration
     * @return the text, as {@link #text(Duration)}
     */
    public static String ofNanos(long nanos) {
        return text(Duration.ofNanos(nanos));
    }

    /**
     * Checks a setting that must be above zero.
     *
     * @param name the setting's name, for the message
     * @param value its value
     * @throws io.powerhose.ConfigurationException when it is zero or negative
     */
    public static void requirePositive(String name, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new io.powerhose.ConfigurationException(name + "=" + text(value) + " must be positive");
        }
    }

    /**
     * Checks a setting that may be zero but not negative.
     *
     * @param name the setting's name, for the message
     * @param value its value
     * @throws io.powerhose.ConfigurationException when it is negative
     */
    public static void requireNotNegative(String name, Duration value) {
        if (value.isNegative()) {
            throw new io.powerhose.ConfigurationException(name + "=" + text(value) + " must not be negative");
        }
    }
}
