package io.powerhose.internal.runner;

import org.slf4j.Logger;

import java.util.HashMap;
import java.util.Map;

/**
 * Logs errors by kind, so that a peer sending garbage cannot flood the log: the first error of a kind is logged
 * with its details, then one line at every power of ten of its count (10, 100, 1000, ...) with the details of that
 * occurrence. A kind is a fixed text naming what went wrong ("malformed message from a client: request id"); the
 * details (sender, frame bytes) vary and never make a new kind. Used on one thread.
 */
public final class DistinctErrorLog {
    /** Kinds come from code, so there are few; past this many, new ones share one count. */
    private static final int MAX_KINDS = 256;
    private static final String OTHER = "other errors";
    private final Logger log;
    private final Map<String, Long> countByKind = new HashMap<>();

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
     * @param kind what went wrong, without details that vary from one occurrence to the next
     * @param detail this occurrence's details (who sent it, what was in it), logged with the kind
     */
    public void record(String kind, String detail) {
        String key = countByKind.containsKey(kind) || countByKind.size() < MAX_KINDS ? kind : OTHER;
        long count = countByKind.merge(key, 1L, Long::sum);
        if (count == 1) {
            log.warn("{}: {}", kind, detail);
        } else if (isPowerOfTen(count)) {
            log.warn("{}: {} (seen {} times)", kind, detail, count);
        }
    }

    /**
     * @param kind a kind
     * @return how many times it was recorded
     */
    public long count(String kind) {
        return countByKind.getOrDefault(kind, 0L);
    }

    private static boolean isPowerOfTen(long n) {
        while (n >= 10 && n % 10 == 0) {
            n /= 10;
        }
        return n == 1;
    }
}
