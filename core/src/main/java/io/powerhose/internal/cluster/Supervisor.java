package io.powerhose.internal.cluster;

import io.powerhose.internal.Durations;
import io.powerhose.ClusterOptions;
import io.powerhose.WorkerInfo;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.runner.Loop;
import io.powerhose.internal.runner.LoopRunner;
import io.powerhose.internal.runner.ThreadRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;

/**
 * Keeps a cluster's worker processes running. One thread ({@code powerhose-cluster}) owns the slot table; other
 * threads (callers, process-exit callbacks) post commands to its queue. It respawns a worker that exits, with a
 * backoff when it dies right after starting; after {@code maxQuickDeaths} quick deaths in a row it leaves the slot
 * FAILED and says why. Scaling down sends SIGTERM (the worker finishes its job first) and does not respawn.
 */
public final class Supervisor implements Loop {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    private static final long MIN_BACKOFF_NS = 100_000_000L;
    private static final long MAX_BACKOFF_NS = 5_000_000_000L;

    private final ClusterOptions options;
    private final IntFunction<List<String>> commandForSlot;
    private final IntFunction<File> logForSlot;
    private final LongConsumer onWorkerExit;
    private final BlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final TreeMap<Integer, Slot> slots = new TreeMap<>();
    private volatile List<SlotView> snapshot = List.of();
    private volatile String failure;
    private volatile boolean configurationFailure;
    private final LoopRunner runner;
    private boolean running = true;
    private boolean stopping;

    /**
     * Creates the supervisor.
     *
     * @param options the cluster's settings
     * @param commandForSlot the command line of a worker for a slot
     * @param logForSlot where a slot's output goes, or null to inherit this process's output
     * @param onWorkerExit told the pid of every worker process that exits, at once (the broker fails its jobs);
     *     called on the supervisor thread, so it must return at once
     */
    public Supervisor(ClusterOptions options, IntFunction<List<String>> commandForSlot, IntFunction<File> logForSlot,
                      LongConsumer onWorkerExit) {
        this.options = options;
        this.commandForSlot = commandForSlot;
        this.logForSlot = logForSlot;
        this.onWorkerExit = onWorkerExit;
        this.runner = new LoopRunner(ThreadRole.CLUSTER, null, this, LOG);
    }

    /** @return the workers as of the last change (any thread) */
    public List<WorkerInfo> workers() {
        long nowNs = System.nanoTime();
        List<WorkerInfo> workers = new ArrayList<>(snapshot.size());
        for (SlotView view : snapshot) {
            workers.add(new WorkerInfo(view.index(), view.pid(), view.state(),
                view.pid() > 0 ? Duration.ofNanos(nowNs - view.startNs()) : Duration.ZERO, view.restarts()));
        }
        return workers;
    }

    /** @return why a slot stopped being respawned, or null (any thread) */
    public String failure() {
        return failure;
    }

    /**
     * @return whether {@link #failure()} is a configuration error: a worker that exited with
     *     {@link ExitCodes#CONFIGURATION}, or a worker command that could not be started at all (any thread)
     */
    public boolean failureIsConfiguration() {
        return configurationFailure;
    }

    /**
     * Sets the number of workers. Any thread.
     *
     * @param count the new count
     */
    public void scale(int count) {
        commands.add(() -> onScale(count));
    }

    /**
     * Stops respawning, sends SIGTERM to every worker, waits up to the grace, then SIGKILL; completes when every
     * worker process has ended. Any thread.
     *
     * @param grace how long workers may take to finish
     * @return completes when all workers ended
     */
    public CompletableFuture<Void> stopAll(Duration grace) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        commands.add(() -> onStop(grace, done));
        return done;
    }

    /** Starts the supervisor's thread. */
    public void start() {
        runner.start();
    }

    @Override
    public void onStart() {
    }

    @Override
    public void doWork() {
        long nowNs = System.nanoTime();
        for (Slot slot : slots.values()) {
            if (slot.respawnAtNs != Long.MAX_VALUE && nowNs - slot.respawnAtNs >= 0) {
                spawn(slot);
            }
        }
        // After the spawns: one that failed has just scheduled its retry, which this wait must not miss.
        long nextNs = Long.MAX_VALUE;
        for (Slot slot : slots.values()) {
            if (slot.respawnAtNs != Long.MAX_VALUE) {
                nextNs = Math.min(nextNs, slot.respawnAtNs);
            }
        }
        publish();
        try {
            Runnable command = nextNs == Long.MAX_VALUE ? commands.take()
                : commands.poll(Math.max(1, nextNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (command != null) {
                command.run();
            }
        } catch (InterruptedException e) {
            running = false;
        }
    }

    @Override
    public boolean isDone() {
        return !running;
    }

    @Override
    public void onClose() {
    }

    /** Ends the thread once its current command is done, leaving the workers as they are. Any thread. */
    @Override
    public void requestStop() {
        commands.add(() -> running = false);
    }

    private void onScale(int count) {
        if (stopping) {
            return;
        }
        int active = (int) slots.values().stream().filter(slot -> !slot.retiring).count();
        if (count > active) {
            int next = 0;
            for (int added = 0; added < count - active; next++) {
                if (!slots.containsKey(next)) {
                    Slot slot = new Slot(next);
                    slots.put(next, slot);
                    spawn(slot);
                    added++;
                }
            }
        } else {
            List<Slot> keep = slots.values().stream().filter(slot -> !slot.retiring).toList();
            for (int i = keep.size() - 1; i >= count; i--) {
                retire(keep.get(i));
            }
        }
        LOG.info("scaled to {} worker(s)", count);
    }

    private void retire(Slot slot) {
        slot.retiring = true;
        slot.respawnAtNs = Long.MAX_VALUE;
        if (slot.process != null && slot.process.isAlive()) {
            slot.process.destroy();
        } else {
            slots.remove(slot.index);
        }
    }

    private void spawn(Slot slot) {
        slot.respawnAtNs = Long.MAX_VALUE;
        List<String> command = commandForSlot.apply(slot.index);
        ProcessBuilder builder = new ProcessBuilder(command).directory(options.workingDir().toFile());
        // Every worker kind leaves when this process ends, even by SIGKILL (docs/WORKERS.md, "The parent watch").
        builder.environment().put(WorkerProcess.PARENT_PID_ENV, Long.toString(ProcessHandle.current().pid()));
        File log = logForSlot.apply(slot.index);
        if (log == null) {
            builder.inheritIO();
        } else {
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log));
        }
        try {
            Process process = builder.start();
            if (slot.process != null) {
                slot.restarts++;
            }
            slot.process = process;
            slot.startNs = System.nanoTime();
            process.onExit().thenRun(() -> commands.add(() -> onExit(slot, process)));
            slot.spawnError = null;
            LOG.debug("worker slot {} started, pid {}", slot.index, process.pid());
        } catch (IOException e) {
            LOG.error("cannot start worker {}: {}", command, e.toString());
            slot.spawnError = e.getMessage();
            onDeath(slot, -1, 0);
        }
    }

    private void onExit(Slot slot, Process process) {
        onWorkerExit.accept(process.pid());
        if (slot.process != process) {
            return;
        }
        long livedNs = System.nanoTime() - slot.startNs;
        int code = process.exitValue();
        if (slot.retiring || stopping) {
            slots.remove(slot.index);
            LOG.info("worker pid {} (slot {}) exited with {}", process.pid(), slot.index, code);
            return;
        }
        LOG.info("worker pid {} (slot {}) exited with {} after {} ms: respawning", process.pid(), slot.index, code,
            livedNs / 1_000_000);
        onDeath(slot, code, livedNs);
    }

    private void onDeath(Slot slot, int code, long livedNs) {
        if (code == ExitCodes.CONFIGURATION) {
            configurationFailure = true;
            fail(slot, "worker exited with code " + ExitCodes.CONFIGURATION + " (configuration error, e.g. a target "
                + "that cannot be loaded): not respawning; see its log");
            return;
        }
        if (livedNs < options.quickDeath().toNanos()) {
            slot.quickDeaths++;
        } else {
            slot.quickDeaths = 0;
        }
        if (slot.quickDeaths >= options.maxQuickDeaths()) {
            configurationFailure = slot.spawnError != null;
            fail(slot, "worker died " + slot.quickDeaths + " times in a row within "
                + Durations.text(options.quickDeath()) + " of starting ("
                + (slot.spawnError != null ? "it could not be started: " + slot.spawnError : "last exit code " + code)
                + "): not respawning; see its log");
            return;
        }
        long backoffNs = slot.quickDeaths == 0 ? 0
            : Math.min(MAX_BACKOFF_NS, MIN_BACKOFF_NS << Math.min(20, slot.quickDeaths - 1));
        slot.respawnAtNs = System.nanoTime() + backoffNs;
    }

    private void fail(Slot slot, String why) {
        slot.failed = true;
        slot.respawnAtNs = Long.MAX_VALUE;
        failure = "slot " + slot.index + ": " + why;
        LOG.error("worker slot {}: {}", slot.index, why);
    }

    private void onStop(Duration grace, CompletableFuture<Void> done) {
        stopping = true;
        List<Process> alive = new ArrayList<>();
        for (Slot slot : slots.values()) {
            slot.respawnAtNs = Long.MAX_VALUE;
            if (slot.process != null && slot.process.isAlive()) {
                slot.process.destroy();
                alive.add(slot.process);
            }
        }
        publish();
        long deadlineNs = System.nanoTime() + grace.toNanos();
        for (Process process : alive) {
            try {
                long leftNs = deadlineNs - System.nanoTime();
                if (leftNs <= 0 || !process.waitFor(leftNs, TimeUnit.NANOSECONDS)) {
                    LOG.warn("worker pid {} did not exit within {}: killing it", process.pid(), Durations.text(grace));
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        slots.clear();
        publish();
        running = false;
        done.complete(null);
    }

    private void publish() {
        List<SlotView> views = new ArrayList<>(slots.size());
        for (Slot slot : slots.values()) {
            boolean alive = slot.process != null && slot.process.isAlive();
            WorkerInfo.State state = slot.failed ? WorkerInfo.State.FAILED
                : slot.retiring || stopping ? WorkerInfo.State.STOPPING
                : alive ? WorkerInfo.State.RUNNING : WorkerInfo.State.RESPAWNING;
            views.add(new SlotView(slot.index, alive ? slot.process.pid() : -1, state, slot.startNs, slot.restarts));
        }
        snapshot = List.copyOf(views);
    }

    /** What other threads may read of a slot. */
    private record SlotView(int index, long pid, WorkerInfo.State state, long startNs, int restarts) {
    }

    /** One worker slot. Owned by the supervisor thread. */
    private static final class Slot {
        final int index;
        Process process;
        long startNs;
        long respawnAtNs = Long.MAX_VALUE;
        int quickDeaths;
        int restarts;
        /** Why the last start failed, or null. */
        String spawnError;
        boolean retiring;
        boolean failed;

        Slot(int index) {
            this.index = index;
        }
    }
}
