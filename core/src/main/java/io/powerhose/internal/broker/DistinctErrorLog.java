package io.powerhose.internal.broker;

import org.slf4j.Logger;

import java.util.HashMap;
import java.util.Map;

/**
 * Logs each distinct error once, then again at every power of ten of its count, so that a peer sending
 * garbage cannot flood the log. Used on one thread.
 */
public final class DistinctErrorLog {
    private static final int MAX_DISTINCT = 1024;
    private final Logger log;
    private final Map<String, Long> countByMessage = new HashMap<>();

    /**
     * Creates the log.
     *
     * @param log where to write
     */
    public DistinctErrorLog(Logger log) {
        this.log = log;
    }

    /**
     * Records one occurrence.
     *
     * @param what the error, with its distinguishing details
     */
    public void record(String what) {
        if (countByMessage.size() >= MAX_DISTINCT && !countByMessage.containsKey(what)) {
            countByMessage.clear();
        }
        long count = countByMessage.merge(what, 1L, Long::sum);
        if (count == 1) {
            log.warn("{}", what);
        } else if (isPowerOfTen(count)) {
            log.warn("{} (seen {} times)", what, count);
        }
    }

    private static boolean isPowerOfTen(long n) {
        while (n >= 10 && n % 10 == 0) {
            n /= 10;
        }
        return n == 1;
    }
}
