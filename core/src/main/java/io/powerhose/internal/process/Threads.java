package io.powerhose.internal.process;

import org.slf4j.Logger;

/**
 * Joins an owner thread after asking it to stop, bounded, and reports one that does not stop (style rule 5).
 */
public final class Threads {
    private Threads() {
    }

    /**
     * Waits up to {@code timeoutMs} for a thread to end; logs its stack when it does not.
     *
     * @param thread the thread (may be the caller: then nothing is waited for)
     * @param timeoutMs the longest wait
     * @param log where to report a stuck thread
     * @return true when the thread has ended
     */
    public static boolean joinOrReport(Thread thread, long timeoutMs, Logger log) {
        if (thread == Thread.currentThread() || !thread.isAlive()) {
            return !thread.isAlive();
        }
        try {
            thread.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            StringBuilder stack = new StringBuilder();
            for (StackTraceElement element : thread.getStackTrace()) {
                stack.append("\n\tat ").append(element);
            }
            log.error("thread {} still running {} ms after it was asked to stop:{}", thread.getName(), timeoutMs,
                stack);
            return false;
        }
        return true;
    }
}
