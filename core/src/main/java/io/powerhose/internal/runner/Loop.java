package io.powerhose.internal.runner;

/**
 * A duty cycle run by a {@link LoopRunner}: every method but {@link #requestStop()} runs on the runner's one
 * thread, which owns whatever the loop opens (its sockets) from {@link #onStart()} to {@link #onClose()}.
 *
 * <p>Each pass is {@link #doWork()} (poll with a timeout set by the next deadline, then handle what is ready),
 * then {@link #onTimers()}, then {@link #isDone()}. The runner guards each of the two steps on its own: a
 * {@link RuntimeException} is counted and logged once per kind, and the loop carries on, so that the timers run
 * in every pass even when handling what arrived keeps failing.
 */
public interface Loop {
    /** Opens what the loop owns. A failure here ends the runner before its first pass. */
    void onStart();

    /** Polls until the next deadline or a wake-up, then handles what is ready. */
    void doWork();

    /** Runs what is due: heartbeats, expiries, checks. Called after {@link #doWork()} in every pass. */
    default void onTimers() {
    }

    /** @return true when the loop has finished: the runner then closes it and ends */
    boolean isDone();

    /** Closes what the loop owns; also after a failed start or a failure. */
    void onClose();

    /** Asks the loop to finish (it may first drain what it holds) and wakes its poll. Any thread. */
    void requestStop();

    /**
     * Hears of a failed step before the runner logs it (to count it where the loop publishes its counters).
     *
     * @param error what the step threw
     */
    default void onError(RuntimeException error) {
    }
}
