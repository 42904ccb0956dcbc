package io.powerhose.jmh;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A sliding window of jobs in flight on the async client: each step waits for the oldest job once the window
 * is full, then sends a new one, so that exactly {@code size} jobs are in flight in steady state. Not thread
 * safe: one per benchmark thread.
 */
final class Window {
    private final ArrayDeque<CompletableFuture<byte[]>> inFlight = new ArrayDeque<>();
    private int size;

    void resize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("inFlight=" + size + " must be 1 or more");
        }
        this.size = size;
    }

    /**
     * Sends one job, after taking the oldest result when the window is full.
     *
     * @param send sends a job
     * @return the oldest job's result, or null while the window fills
     */
    byte[] step(Supplier<CompletableFuture<byte[]>> send) {
        byte[] result = inFlight.size() >= size ? inFlight.poll().join() : null;
        inFlight.add(send.get());
        return result;
    }

    /** Waits for every job still in flight (between iterations, so that none spills into the next one). */
    void drain() {
        while (!inFlight.isEmpty()) {
            inFlight.poll().join();
        }
    }
}
