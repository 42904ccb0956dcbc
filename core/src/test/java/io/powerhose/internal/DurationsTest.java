package io.powerhose.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DurationsTest {
    @Test
    void durationsReadAsSecondsOrMillisecondsNotIso8601() {
        assertEquals("7.5 s", Durations.text(Duration.ofMillis(7500)));
        assertEquals("5 s", Durations.text(Duration.ofSeconds(5)));
        assertEquals("1.235 s", Durations.text(Duration.ofNanos(1_234_567_890)));
        assertEquals("90 s", Durations.text(Duration.ofMinutes(1).plusSeconds(30)));
        assertEquals("338 ms", Durations.text(Duration.ofNanos(338_071_000)));
        assertEquals("2.5 ms", Durations.text(Duration.ofNanos(2_500_000)));
        assertEquals("0 ms", Durations.text(Duration.ZERO));
        assertEquals("-2 s", Durations.text(Duration.ofSeconds(-2)));
        assertEquals("none", Durations.text(null));
        assertEquals("100 ms", Durations.ofNanos(100_000_000));
    }
}
