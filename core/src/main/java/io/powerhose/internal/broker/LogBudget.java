package io.powerhose.internal.broker;

import org.slf4j.Logger;

/**
 * Caps how many lines of one kind (workers registering, leaving, lost) the broker logs per window of time, so that
 * peers that register and vanish in a loop cannot flood the log; what is left out is counted and said once the
 * window ends. Pure: time comes from the caller. Used on the broker thread.
 */
final class LogBudget {
    private final Logger log;
    private final String what;
    private final int linesPerWindow;
    private final long windowNs;
    private long windowStartNs;
    private int used;
    private long suppressed;

    /**
     * Creates a budget.
     *
     * @param log where the summary goes
     * @param what what the lines are about, for the summary ("lines about workers")
     * @param linesPerWindow lines allowed per window
     * @param windowNs the window
     * @param nowNs the current time
     */
    LogBudget(Logger log, String what, int linesPerWindow, long windowNs, long nowNs) {
        this.log = log;
        this.what = what;
        this.linesPerWindow = linesPerWindow;
        this.windowNs = windowNs;
        this.windowStartNs = nowNs;
    }

    /**
     * Takes one line from the budget.
     *
     * @param nowNs the current time
     * @return true when the line may be logged
     */
    boolean allow(long nowNs) {
        roll(nowNs);
        if (used < linesPerWindow) {
            used++;
            return true;
        }
        suppressed++;
        return false;
    }

    /**
     * Starts a new window when the current one has ended, saying how many lines were left out of it.
     *
     * @param nowNs the current time
     */
    void roll(long nowNs) {
        if (nowNs - windowStartNs < windowNs) {
            return;
        }
        if (suppressed > 0) {
            log.warn("{} more {} were not logged in the last {} s (at most {} per {} s)", suppressed, what,
                (nowNs - windowStartNs) / 1_000_000_000, linesPerWindow, windowNs / 1_000_000_000);
        }
        windowStartNs = nowNs;
        used = 0;
        suppressed = 0;
    }
}
