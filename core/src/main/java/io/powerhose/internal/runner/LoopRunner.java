package io.powerhose.internal.runner;

import io.powerhose.PowerhoseException;
import io.powerhose.internal.process.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link Loop} on a thread of its own, named and flagged by its {@link ThreadRole}: opens it, runs its
 * passes with each step guarded, closes it on the same thread, and tells its owner how it ended. A step that
 * throws a {@link RuntimeException} is counted and logged once per kind ({@link DistinctErrorLog}); the loop
 * carries on. The loop dies on an {@link Error}, or when every pass has failed for {@link #FAILING_LOOP_NS}
 * (at least {@link #FAILING_PASSES} passes): then {@link #failure()} says why and {@link #ended()} completes
 * exceptionally, so that the owner fails loudly instead of serving nothing (agrona's {@code AgentRunner} is the
 * model).
 *
 * <p>Thread safe. Start once, close once; not reusable.
 */
public final class LoopRunner implements AutoCloseable {
    /** Passes in a row that must fail, for at least {@link #FAILING_LOOP_NS}, before the loop gives up. */
    public static final int FAILING_PASSES = 100;
    /** How long every pass must fail before the loop gives up. */
    public static final long FAILING_LOOP_NS = 1_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(LoopRunner.class);

    private final Loop loop;
    private final Thread thread;
    private final Logger log;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final DistinctErrorLog errors;
    private volatile Throwable failure;
    private int failedPasses;
    private long firstFailedPassNs;

    /**
     * Makes the runner and its thread (not started).
     *
     * @param role the thread's role: its name and daemon flag
     * @param qualifier a job thread's slot number, or null
     * @param loop the loop
     * @param log where the loop's errors go (the loop's own logger)
     */
    public LoopRunner(ThreadRole role, String qualifier, Loop loop, Logger log) {
        this.loop = loop;
        this.log = log;
        this.errors = new DistinctErrorLog(log);
        this.thread = role.newThread(this::run, qualifier);
    }

    /** Starts the thread. */
    public void start() {
        thread.start();
    }

    /** @return completes once {@link Loop#onStart()} returned, or exceptionally with what it threw */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** @return completes when the thread ends: normally, or exceptionally with {@link #failure()} */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    /** @return why the loop died, or null while it runs and after an orderly end */
    public Throwable failure() {
        return failure;
    }

    /** @return true on the loop's own thread (for {@code assert} in owner-only methods) */
    public boolean isOwnerThread() {
        return Thread.currentThread() == thread;
    }

    /** @return the thread's name */
    public String threadName() {
        return thread.getName();
    }

    /** @return true while the thread runs */
    public boolean isAlive() {
        return thread.isAlive();
    }

    /**
     * Interrupts the thread: only for a loop that owns no socket (a job thread whose job was abandoned, so that a
     * handler that heeds interrupts returns sooner). Never for a socket owner (docs/THREADING.md).
     */
    public void interrupt() {
        thread.interrupt();
    }

    /** Asks the loop to finish; returns at once. Any thread. */
    public void requestStop() {
        loop.requestStop();
    }

    /**
     * Waits for the thread to end.
     *
     * @param timeoutNs the longest wait
     * @return true when it has ended (or was never started)
     */
    public boolean awaitEnd(long timeoutNs) {
        if (thread.getState() == Thread.State.NEW) {
            return true;
        }
        try {
            ended.handle((ignored, error) -> null).get(timeoutNs, TimeUnit.NANOSECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /**
     * Asks the loop to finish and waits for its thread, up to a bound; logs the thread's stack when it does not end.
     *
     * @param timeoutMs the longest wait
     * @return true when the thread has ended
     */
    public boolean close(long timeoutMs) {
        requestStop();
        return thread.getState() == Thread.State.NEW || Threads.joinOrReport(thread, timeoutMs, log);
    }

    /** Asks the loop to finish and waits up to 5 s. */
    @Override
    public void close() {
        close(5_000);
    }

    /**
     * Throws when the loop has died, so that an owner's method never answers from a dead loop's stale state.
     *
     * @param what what the loop is, for the message ("the broker thread")
     * @throws PowerhoseException when {@link #failure()} is set
     */
    public void throwIfFailed(String what) {
        Throwable cause = failure;
        if (cause != null) {
            throw new PowerhoseException(what + " died: " + cause, cause);
        }
    }

    private void run() {
        try {
            try {
                loop.onStart();
            } catch (RuntimeException e) {
                started.completeExceptionally(e);
                return;
            }
            started.complete(null);
            while (true) {
                boolean failed = guard("error in a pass of " + thread.getName(), loop::doWork);
                failed |= guard("error in the timers of " + thread.getName(), loop::onTimers);
                giveUpIfEveryPassFails(failed);
                if (loop.isDone()) {
                    break;
                }
            }
        } catch (Throwable e) {
            // An Error, or a loop that failed in every pass: it cannot go on. Say so loudly; the owner reports it.
            failure = e;
            started.completeExceptionally(e);
            log.error("{} died; it does nothing more", thread.getName(), e);
        } finally {
            try {
                loop.onClose();
            } catch (RuntimeException | Error e) {
                LOG.error("{} could not close what it owns", thread.getName(), e);
            }
            if (failure == null) {
                ended.complete(null);
            } else {
                ended.completeExceptionally(failure);
            }
        }
    }

    /** Runs one step; a RuntimeException is counted and logged by kind. True when it failed. */
    private boolean guard(String kind, Runnable step) {
        try {
            step.run();
            return false;
        } catch (RuntimeException e) {
            loop.onError(e);
            errors.record(kind + ": " + e.getClass().getName(), e.toString());
            log.debug("stack of the error", e);
            return true;
        }
    }

    private void giveUpIfEveryPassFails(boolean failed) {
        if (!failed) {
            failedPasses = 0;
            return;
        }
        long nowNs = System.nanoTime();
        if (failedPasses++ == 0) {
            firstFailedPassNs = nowNs;
        }
        if (failedPasses >= FAILING_PASSES && nowNs - firstFailedPassNs >= FAILING_LOOP_NS) {
            throw new IllegalStateException("every pass of " + thread.getName() + " failed for "
                + (nowNs - firstFailedPassNs) / 1_000_000 + " ms (" + failedPasses + " passes); see the errors above");
        }
    }
}
