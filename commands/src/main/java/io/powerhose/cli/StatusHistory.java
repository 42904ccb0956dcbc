package io.powerhose.cli;

import io.powerhose.BrokerStatus;
import io.powerhose.internal.runner.ThreadRole;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The broker's snapshots of the last two minutes, one a second at most, so that the status page shows rates over
 * the last minute from its first look. A thread of its own ({@code powerhose-status-sampler}) reads the latest
 * published snapshot once a second and keeps it when it is new; readers (the HTTP threads) take a copy. The
 * snapshot's uptime is the time axis: the broker's monotonic clock, when the broker took it.
 */
final class StatusHistory implements AutoCloseable {
    /** How far back the rates look. */
    static final Duration WINDOW = Duration.ofMinutes(1);
    private static final int KEPT = 130;

    private final ArrayDeque<BrokerStatus> snapshots = new ArrayDeque<>();
    private final ScheduledExecutorService sampler;

    private StatusHistory(ScheduledExecutorService sampler) {
        this.sampler = sampler;
    }

    /**
     * Starts sampling.
     *
     * @param broker the latest published snapshot (null while there is none)
     * @return the history
     */
    static StatusHistory start(Supplier<BrokerStatus> broker) {
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
            r -> ThreadRole.STATUS_SAMPLER.newThread(r, null));
        StatusHistory history = new StatusHistory(sampler);
        sampler.scheduleAtFixedRate(() -> history.sample(broker), 0, 1, TimeUnit.SECONDS);
        return history;
    }

    /** An empty history that samples nothing (tests feed it). */
    static StatusHistory manual() {
        return new StatusHistory(null);
    }

    /**
     * Keeps a snapshot if it is newer than the last one kept.
     *
     * @param broker where to read it
     */
    void sample(Supplier<BrokerStatus> broker) {
        try {
            BrokerStatus status = broker.get();
            if (status != null) {
                add(status);
            }
        } catch (RuntimeException e) {
            // The broker died: its methods throw. Nothing new to keep; the page shows the last snapshot's age.
        }
    }

    synchronized void add(BrokerStatus status) {
        BrokerStatus last = snapshots.peekLast();
        if (last != null && last.pid() == status.pid() && status.uptime().compareTo(last.uptime()) <= 0) {
            return;
        }
        if (last != null && last.pid() != status.pid()) {
            snapshots.clear(); // another broker: its counters start again
        }
        snapshots.addLast(status);
        while (snapshots.size() > KEPT) {
            snapshots.removeFirst();
        }
    }

    /** @return the snapshots kept, oldest first */
    synchronized List<BrokerStatus> snapshots() {
        return new ArrayList<>(snapshots);
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }
}
