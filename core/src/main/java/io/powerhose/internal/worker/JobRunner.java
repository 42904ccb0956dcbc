package io.powerhose.internal.worker;

import io.powerhose.Job;
import io.powerhose.JobHandler;
import io.powerhose.internal.zmq.Sockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;

/**
 * Runs jobs for one slot of a worker, on a thread of its own ({@code powerhose-job-N}), so that a long job
 * never blocks the worker's socket thread and its heartbeats. It owns one end of an inproc PAIR: it receives
 * {@code [job id][payload]}, runs the handler and sends {@code [job id][O|E][result or error text]}. An empty
 * frame tells it to stop. Once abandoned (its job timed out) it sends nothing more and ends when the job
 * returns.
 */
final class JobRunner implements Runnable {
    static final byte[] OK = {'O'};
    static final byte[] ERROR = {'E'};
    static final byte[] STOP = new byte[0];
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);

    private final ZMQ.Context context;
    private final String endpoint;
    private final JobHandler handler;
    private volatile boolean abandoned;

    JobRunner(ZMQ.Context context, String endpoint, JobHandler handler) {
        this.context = context;
        this.endpoint = endpoint;
        this.handler = handler;
    }

    /** Marks this runner abandoned: whatever its job returns is dropped. Any thread. */
    void abandon() {
        abandoned = true;
    }

    @Override
    public void run() {
        ZMQ.Socket socket = Sockets.create(context, ZMQ.PAIR, 0);
        try {
            socket.connect(endpoint);
            while (!abandoned) {
                byte[][] job = Sockets.receiveWaiting(socket);
                if (job.length < 2 || job[0].length == 0) {
                    return;
                }
                byte[][] reply = execute(handler, job[0], job[1]);
                if (abandoned) {
                    return;
                }
                Sockets.send(socket, null, reply);
            }
        } catch (RuntimeException e) {
            if (!abandoned) {
                LOG.error("job runner failed", e);
            }
        } finally {
            socket.close();
        }
    }

    /**
     * Runs one job on the calling thread and never throws for what the job does.
     *
     * @param handler the job handler
     * @param jobId the broker's job id
     * @param payload the serialized job
     * @return {@code [job id][O|E][result or error text]}
     */
    static byte[][] execute(JobHandler handler, byte[] jobId, byte[] payload) {
        Job job;
        try {
            job = Job.loadFromString(payload);
        } catch (RuntimeException e) {
            return new byte[][] {jobId, ERROR, errorText(e)};
        }
        try {
            byte[] result = handler.handle(job);
            return new byte[][] {jobId, OK, result == null ? new byte[0] : result};
        } catch (Exception | LinkageError | StackOverflowError | AssertionError e) {
            LOG.warn("job failed", e);
            return new byte[][] {jobId, ERROR, errorText(e)};
        }
    }

    private static byte[] errorText(Throwable e) {
        String message = e.getMessage();
        return (e.getClass().getName() + ": " + (message == null ? "" : message)).getBytes(StandardCharsets.UTF_8);
    }
}
