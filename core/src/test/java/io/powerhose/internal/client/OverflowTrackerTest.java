package io.powerhose.internal.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OverflowTrackerTest {
    private static final long TIMEOUT = 500;

    @Test
    void secondOverflowInARowFromOneWorkerIsATimeout() {
        OverflowTracker tracker = new OverflowTracker(1);
        assertTrue(tracker.accept(7, 700, TIMEOUT));
        assertFalse(tracker.accept(7, 700, TIMEOUT));
        assertFalse(tracker.accept(7, 700, TIMEOUT), "still in a row");
    }

    @Test
    void onTimeResultResetsTheCount() {
        OverflowTracker tracker = new OverflowTracker(1);
        assertTrue(tracker.accept(7, 700, TIMEOUT));
        assertTrue(tracker.accept(7, 100, TIMEOUT));
        assertTrue(tracker.accept(7, 700, TIMEOUT));
    }

    @Test
    void countsAreKeptPerWorker() {
        OverflowTracker tracker = new OverflowTracker(1);
        assertTrue(tracker.accept(7, 700, TIMEOUT));
        assertTrue(tracker.accept(8, 700, TIMEOUT));
        assertFalse(tracker.accept(7, 700, TIMEOUT));
    }

    @Test
    void zeroAllowedMeansEveryOverflowIsATimeout() {
        assertFalse(new OverflowTracker(0).accept(7, 501, TIMEOUT));
    }
}
