package io.powerhose.internal.worker;

import io.powerhose.Job;
import io.powerhose.JobHandler;
import io.powerhose.internal.runner.Loop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One job slot of a worker, run by a {@code powerhose-job-N} thread. It owns no socket: each pass takes the next
 * {@link JobTask} from the worker's queue (waiting for one), runs the handler, and hands the answered task back to
 * the socket thread ({@code done}, which queues it and wakes that thread). {@link #STOP} ends it. When its task
 * was abandoned (it ran past the timeout and the socket thread answered it), it drops the result and ends, since
 * the socket thread has started another slot in its place. An {@link Error} from a handler (other than the few
 * that only fail the job) ends the thread, and its runner reports it to the socket thread, which ends the worker.
 */
final class JobRunner implements Loop {
    /** Taken from the queue, ends one runner. */
    static final JobTask STOP = new JobTask(new byte[0], 0, new byte[0], 0);
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);

    private final JobHandler handler;
    private final BlockingQueue<JobTask> todo;
    private final Consumer<JobTask> done;
    private final LongSupplier nanoClock;
    /** The task this runner is running, or null; read by the socket thread for the timeout. */
    private volatile JobTask current;
    private boolean finished;

    /**
     * @param handler the job handler
     * @param todo the worker's tasks waiting for a slot (shared by its slots)
     * @param done takes each answered task back to the socket thread (any thread)
     * @param nanoClock the clock
     */
    JobRunner(JobHandler handler, BlockingQueue<JobTask> todo, Consumer<JobTask> done, LongSupplier nanoClock) {
        this.handler = handler;
        this.todo = todo;
        this.done = done;
        this.nanoClock = nanoClock;
    }

    /** @return the task running now, or null (any thread) */
    JobTask current() {
        return current;
    }

    @Override
    public void onStart() {
    }

    @Override
    public void doWork() {
        Thread.interrupted(); // a handler may leave the flag set; it must not end the wait below
        JobTask task;
        try {
            task = todo.take();
        } catch (InterruptedException e) {
            return;
        }
        if (task == STOP) {
            finished = true;
            return;
        }
        if (!task.start(nanoClock.getAsLong())) {
            return; // withdrawn: the worker is exiting
        }
        current = task;
        try {
            run(task);
        } finally {
            current = null;
        }
        if (task.finish()) {
            done.accept(task);
        } else {
            finished = true; // abandoned after its timeout: another slot runs in this one's place
        }
    }

    @Override
    public boolean isDone() {
        return finished;
    }

    @Override
    public void onClose() {
    }

    /** The socket thread stops runners by queueing {@link #STOP}, one per runner. */
    @Override
    public void requestStop() {
        todo.offer(STOP);
    }

    /** Runs one task on this thread and records its answer; never throws for what the job does. */
    private void run(JobTask task) {
        Job job;
        try {
            job = Job.loadFromString(task.payload).budget(Duration.ofMillis(task.budgetLeftMs()));
        } catch (RuntimeException e) {
            answer(task, false, errorText(e));
            return;
        }
        try {
            byte[] result = handler.handle(job);
            answer(task, true, result == null ? new byte[0] : result);
        } catch (Exception | LinkageError | StackOverflowError | AssertionError e) {
            LOG.warn("job failed", e);
            answer(task, false, errorText(e));
        }
    }

    private static void answer(JobTask task, boolean ok, byte[] result) {
        task.ok = ok;
        task.result = result;
    }

    private static byte[] errorText(Throwable e) {
        String message = e.getMessage();
        return (e.getClass().getName() + ": " + (message == null ? "" : message)).getBytes(StandardCharsets.UTF_8);
    }
}
