package io.powerhose.internal.worker;

/**
 * Tells when the broker's beat is lost: no beat for {@code retries × delay} after a warm-up. Pure logic with
 * times passed in; owned by one thread (the worker's, or a stethoscope's).
 */
public final class BeatWatch {
    private final long windowNs;
    private long lastBeatNs;

    /**
     * Starts watching.
     *
     * @param nowNs the current time
     * @param warmupNs the time before the first check may fail
     * @param delayNs time between two checks
     * @param retries checks without a beat before the beat is lost
     */
    public BeatWatch(long nowNs, long warmupNs, long delayNs, int retries) {
        this.windowNs = delayNs * retries;
        this.lastBeatNs = nowNs + warmupNs;
    }

    /**
     * Records a beat.
     *
     * @param nowNs the current time
     */
    public void onBeat(long nowNs) {
        lastBeatNs = nowNs;
    }

    /**
     * @param nowNs the current time
     * @return true when no beat came for the whole window
     */
    public boolean isLost(long nowNs) {
        return nowNs - (lastBeatNs + windowNs) >= 0;
    }

    /** @return when the beat will count as lost if none comes */
    public long deadlineNs() {
        return lastBeatNs + windowNs;
    }

    /**
     * Starts a new window, after a lost beat was reported and the watcher chose to go on.
     *
     * @param nowNs the current time
     */
    public void restart(long nowNs) {
        lastBeatNs = nowNs;
    }
}
