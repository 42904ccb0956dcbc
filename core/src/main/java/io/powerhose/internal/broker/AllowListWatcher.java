package io.powerhose.internal.broker;

import io.powerhose.internal.runner.ThreadRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Re-reads the broker's allow-list directories when asked ({@link #reload}, e.g. on SIGHUP) and when they change,
 * and hands each new {@link Zap.Lists} to the broker thread. Its thread, {@code powerhose-allow-lists}, owns the
 * {@link WatchService} and does the file reading, so that the broker thread never waits for a disk; a change is
 * read once the directory has been quiet for {@value #SETTLE_MS} ms (a key being copied in). A file that cannot be
 * read is skipped with an error naming it (its key is refused until it is fixed); the other keys apply. Reloads
 * are serialised, so the broker thread receives them in the order they were read.
 */
public final class AllowListWatcher implements AutoCloseable {
    static final long SETTLE_MS = 200;
    private static final Logger LOG = LoggerFactory.getLogger(AllowListWatcher.class);

    private final Path clientsDir;
    private final Path workersDir;
    private final String brokerKey;
    private final Consumer<Zap.Lists> publish;
    private final WatchService watcher;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * Starts watching.
     *
     * @param clientsDir the clients' directory, or null
     * @param workersDir the workers' directory, or null
     * @param brokerKey the broker's public key
     * @param watch false to re-read only on {@link #reload}: no watch, no thread
     * @param publish hands lists to the broker thread (must only enqueue); called on the caller's thread of
     *     {@link #reload} or on the watcher's thread
     */
    public AllowListWatcher(Path clientsDir, Path workersDir, String brokerKey, boolean watch,
                            Consumer<Zap.Lists> publish) {
        this.clientsDir = clientsDir;
        this.workersDir = workersDir;
        this.brokerKey = brokerKey;
        this.publish = publish;
        WatchService service = null;
        Set<Path> dirs = new LinkedHashSet<>();
        if (clientsDir != null) {
            dirs.add(clientsDir.toAbsolutePath().normalize());
        }
        if (workersDir != null) {
            dirs.add(workersDir.toAbsolutePath().normalize());
        }
        if (watch && !dirs.isEmpty()) {
            try {
                service = FileSystems.getDefault().newWatchService();
                for (Path dir : dirs) {
                    dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot watch the allow-list directories {} ({}): they are re-read on SIGHUP only", dirs,
                    e.toString());
                closeQuietly(service);
                service = null;
            }
        }
        this.watcher = service;
        this.thread = service == null ? null : ThreadRole.ALLOW_LISTS.newThread(this::watch, null);
        if (thread != null) {
            thread.start();
        }
    }

    /**
     * Reads the directories strictly, for the broker's start.
     *
     * @param clientsDir the clients' directory, or null for any key
     * @param workersDir the workers' directory, or null for any key
     * @param brokerKey the broker's public key
     * @return the lists
     * @throws io.powerhose.ConfigurationException naming a directory or file that cannot be read
     */
    public static Zap.Lists load(Path clientsDir, Path workersDir, String brokerKey) {
        Zap.Lists lists = new Zap.Lists(AllowList.load(clientsDir, true), AllowList.load(workersDir, true),
            brokerKey);
        report(lists);
        return lists;
    }

    /**
     * Re-reads the directories and hands the lists to the broker thread. Any thread.
     *
     * @param why what asked for it, for the log
     */
    public synchronized void reload(String why) {
        if (closed) {
            return;
        }
        try {
            Zap.Lists lists = new Zap.Lists(AllowList.load(clientsDir, false), AllowList.load(workersDir, false),
                brokerKey);
            LOG.info("re-reading the allow-lists ({})", why);
            report(lists);
            publish.accept(lists);
        } catch (RuntimeException e) {
            LOG.error("cannot re-read the allow-lists ({}): the lists in force stay: {}", why, e.getMessage());
        }
    }

    private static void report(Zap.Lists lists) {
        for (AllowList list : new AllowList[] {lists.clients(), lists.workers()}) {
            for (String problem : list.problems()) {
                LOG.error("allow-list: {}", problem);
            }
        }
    }

    private void watch() {
        try {
            while (!closed) {
                WatchKey key = watcher.take();
                drainEvents(key);
                // Let a copy finish: read once nothing has changed for SETTLE_MS.
                WatchKey more;
                while ((more = watcher.poll(SETTLE_MS, TimeUnit.MILLISECONDS)) != null) {
                    drainEvents(more);
                }
                reload("an allow-list directory changed");
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // closed
        } catch (RuntimeException e) {
            LOG.error("the allow-list watcher stopped: the lists are re-read on SIGHUP only", e);
        }
    }

    private static void drainEvents(WatchKey key) {
        key.pollEvents();
        if (!key.reset()) {
            LOG.warn("an allow-list directory is no longer watched (removed?): {}", key.watchable());
        }
    }

    /** Stops watching; bounded. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        closeQuietly(watcher);
        if (thread != null) {
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(WatchService service) {
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                LOG.debug("closing the watch service", e);
            }
        }
    }
}
