package io.powerhose;

import io.powerhose.internal.Durations;

import java.time.Duration;

/**
 * One worker process of a {@link Cluster}, as its supervisor sees it.
 *
 * @param slot the worker's slot number (stable across respawns)
 * @param pid the current process id, or -1 while none runs
 * @param state what the slot is doing
 * @param age how long the current process has run
 * @param restarts how many times the slot's process was replaced
 */
public record WorkerInfo(int slot, long pid, State state, Duration age, int restarts) {
    /** What a worker slot is doing. */
    public enum State {
        /** The process runs. */
        RUNNING,
        /** The process exited; a new one starts after a backoff. */
        RESPAWNING,
        /** The process died quickly too many times in a row: not respawned (see the log). */
        FAILED,
        /** Scaled away or stopping: the process finishes its job and exits. */
        STOPPING
    }

    /** @return e.g. {@code "slot 0: pid 4242 RUNNING for 7.5 s, 1 restart"} */
    @Override
    public String toString() {
        return "slot " + slot + ": pid " + pid + " " + state + " for " + Durations.text(age) + ", " + restarts
            + (restarts == 1 ? " restart" : " restarts");
    }
}
