package io.powerhose;

import io.powerhose.internal.Durations;
import io.powerhose.internal.client.CallLimit;
import io.powerhose.internal.client.CallbackFuture;
import io.powerhose.internal.client.ClientConductor;
import io.powerhose.internal.client.PendingCall;
import io.powerhose.internal.metrics.Metrics;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Security;


import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Sends jobs to a broker and returns their results. One socket carries many jobs in flight; each reply is
 * matched to its call by request id, and a reply that comes after its caller gave up is dropped.
 *
 * <pre>{@code
 * try (Client client = new Client("ipc:///run/app/front.ipc")) {
 *     String result = client.execute("4*2");                         // blocks
 *     CompletableFuture<byte[]> later = client.submit(new Job("x")); // does not block
 * }
 * }</pre>
 *
 * <p>The client never blocks its callers beyond the wait they asked for, and holds a bounded amount: each call's
 * deadline starts at {@code submit} (or {@code execute}), sent or not; with no broker, calls wait for one until their
 * deadline, unsent. Past {@link ClientOptions#maxPendingCalls()} jobs (or {@link ClientOptions#maxPendingBytes()})
 * submitted and not yet completed, a new job fails at once with {@link ClientBusyException}: {@code submit} returns
 * a failed future, {@code execute} throws; neither waits for room.
 *
 * <p>Cancelling a future that {@code submit} returned ({@code future.cancel(true)} or {@code cancel(false)}) gives
 * its room back at once and tells the broker: a job still queued there is dropped and never runs; a job a worker
 * already runs finishes, and its result is discarded. An {@code execute} whose thread is interrupted cancels its
 * job the same way. Futures derived from it ({@code thenApply}, ...) do not cancel the job.
 *
 * <p><b>Note:</b> thread safe; share one instance. Close once; not reusable. Failures are
 * {@link PowerhoseException} subclasses: {@link JobTimeoutException}, {@link JobFailedException},
 * {@link NoWorkerException}, {@link WorkerLostException}, {@link BrokerBusyException}, {@link ClientBusyException},
 * {@link BrokerLostException}, {@link JobTooLargeException}, {@link HandshakeFailedException}.
 *
 * <p>With {@link ClientOptions#curveServerKey()} the connection is encrypted and authenticated with CURVE
 * (docs/SECURITY.md). When the security handshake fails (one side uses CURVE and the other not, the server key is
 * not the broker's, or the broker refuses this client's key), calls fail at once with
 * {@link HandshakeFailedException}, whose message says what to change, instead of waiting for their timeout.
 */
public final class Client implements AutoCloseable {
    private final ClientOptions options;
    private final ClientConductor conductor;
    private final CallLimit limit;
    private final long marginNs;
    private volatile boolean closed;

    /** Creates a client of the broker at {@link BrokerOptions#DEFAULT_FRONTEND} with the default timeouts. */
    public Client() {
        this(ClientOptions.builder().build());
    }

    /**
     * Creates a client with the default timeouts (5 s, 7.5 s, 1 overflow).
     *
     * @param frontend the broker's frontend endpoint, or several brokers' separated by commas
     */
    public Client(String frontend) {
        this(ClientOptions.builder().frontend(frontend).build());
    }

    /**
     * Creates a client with the documented Powerhose 0.x parameters.
     *
     * @param frontend the broker's frontend endpoint, or several brokers' separated by commas
     * @param timeout how long a job should take
     * @param timeoutMaxOverflow how long a caller waits for a result
     * @param timeoutOverflows overflows in a row allowed per worker
     */
    public Client(String frontend, Duration timeout, Duration timeoutMaxOverflow, int timeoutOverflows) {
        this(ClientOptions.builder().frontend(frontend).timeout(timeout).timeoutMaxOverflow(timeoutMaxOverflow)
            .timeoutOverflows(timeoutOverflows).build());
    }

    /**
     * Creates a client and connects it (in the background: calls made before the broker is up wait for it
     * within their timeout).
     *
     * @param options the settings
     */
    public Client(ClientOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        NativeLibrary.load();
        this.marginNs = options.timeoutMaxOverflow().toNanos() - options.timeout().toNanos();
        this.limit = new CallLimit(options.maxPendingCalls(), options.maxPendingBytes());
        this.conductor = new ClientConductor(options.frontends(), options.timeoutOverflows(), limit, System::nanoTime,
            Metrics.client(options.meterRegistry(), limit::calls),
            Security.client(options.curveServerKey(), options.curveKey()));
        this.conductor.start();
    }

    /** @return the settings */
    public ClientOptions options() {
        return options;
    }

    /**
     * Runs a job and waits for its result.
     *
     * @param job the job
     * @return the result
     */
    public byte[] execute(Job job) {
        return execute(job, options.timeout());
    }

    /**
     * Runs a job with its own timeout and waits for its result.
     *
     * @param job the job
     * @param timeout how long the job should take (replaces the client's {@code timeout})
     * @return the result
     */
    public byte[] execute(Job job, Duration timeout) {
        return this.<JobResult>await(call(job, timeout, false)).data();
    }

    /**
     * Runs a job made of raw data and waits for its result.
     *
     * @param data the job's data
     * @return the result
     */
    public byte[] execute(byte[] data) {
        return execute(new Job(data));
    }

    /**
     * Runs a job made of raw data with its own timeout.
     *
     * @param data the job's data
     * @param timeout how long the job should take
     * @return the result
     */
    public byte[] execute(byte[] data, Duration timeout) {
        return execute(new Job(data), timeout);
    }

    /**
     * Runs a job made of text (UTF-8) and returns its result as text.
     *
     * @param data the job's data
     * @return the result, decoded as UTF-8
     */
    public String execute(String data) {
        return execute(data, options.timeout());
    }

    /**
     * Runs a job made of text with its own timeout.
     *
     * @param data the job's data
     * @param timeout how long the job should take
     * @return the result, decoded as UTF-8
     */
    public String execute(String data, Duration timeout) {
        return this.<JobResult>await(call(new Job(data), timeout, false)).dataAsString();
    }

    /**
     * Runs a job and returns its result with the worker's pid and the time it took.
     *
     * @param job the job
     * @param timeout how long the job should take
     * @return the result
     */
    public JobResult executeForResult(Job job, Duration timeout) {
        return await(call(job, timeout, false));
    }

    /**
     * Sends a job without waiting. Stages attached to the returned future (and to futures derived from it) run on
     * the client's completion executor, never on its I/O thread, so they may block. Cancelling the returned future
     * cancels the job (see the class comment).
     *
     * @param job the job
     * @return the result's future; it fails with a {@link PowerhoseException} subclass, at once with
     *         {@link ClientBusyException} when the client already holds {@code maxPendingCalls} jobs
     */
    public CompletableFuture<byte[]> submit(Job job) {
        return submit(job, options.timeout());
    }

    /**
     * Sends a job with its own timeout without waiting.
     *
     * @param job the job
     * @param timeout how long the job should take
     * @return the result's future
     */
    @SuppressWarnings("unchecked")
    public CompletableFuture<byte[]> submit(Job job, Duration timeout) {
        CompletableFuture<Object> future = callAsync(job, timeout, true);
        return (CompletableFuture<byte[]>) (CompletableFuture<?>) future;
    }

    /**
     * Sends a job made of raw data without waiting.
     *
     * @param data the job's data
     * @return the result's future
     */
    public CompletableFuture<byte[]> submit(byte[] data) {
        return submit(new Job(data));
    }

    /**
     * Sends a job without waiting; the result comes with the worker's pid and the time it took.
     *
     * @param job the job
     * @param timeout how long the job should take
     * @return the result's future
     */
    @SuppressWarnings("unchecked")
    public CompletableFuture<JobResult> submitForResult(Job job, Duration timeout) {
        CompletableFuture<Object> future = callAsync(job, timeout, false);
        return (CompletableFuture<JobResult>) (CompletableFuture<?>) future;
    }

    /**
     * Asks the broker for its pid.
     *
     * @param timeout how long to wait
     * @return the broker's pid, or empty when none answered in time
     * @throws HandshakeFailedException when the security handshake with the broker failed
     */
    public OptionalLong ping(Duration timeout) {
        long pid = (Long) await(query(PendingCall.Kind.PING, timeout));
        return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    /**
     * Asks the broker for its pid, waiting up to 1 s (the documented default).
     *
     * @return the broker's pid, or empty when none answered in time
     */
    public OptionalLong ping() {
        return ping(Duration.ofSeconds(1));
    }

    /**
     * Asks the broker for its state and counters.
     *
     * @param timeout how long to wait
     * @return one {@code key=value} per line, or empty when none answered in time
     */
    public Optional<String> status(Duration timeout) {
        return Optional.ofNullable((String) await(query(PendingCall.Kind.STATUS, timeout)));
    }

    /** @return how many replies came after their caller had given up, and were dropped */
    public long lateReplies() {
        return conductor.lateReplies();
    }

    /** @return the jobs this client holds now: submitted and not yet completed (at most {@code maxPendingCalls}) */
    public int pendingCalls() {
        return limit.calls();
    }

    /** Closes the connection; calls still waiting fail with a {@link PowerhoseException}. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        conductor.close(5_000);
    }

    /** A job for {@code execute}: a future private to the client, and its call, to cancel on interrupt. */
    private Call call(Job job, Duration timeout, boolean dataOnly) {
        CompletableFuture<Object> future = new CompletableFuture<>();
        return new Call(future, offer(job, timeout, future, dataOnly));
    }

    /** A job for {@code submit}: a future whose stages run on the completion executor and whose cancel reaches us. */
    private CompletableFuture<Object> callAsync(Job job, Duration timeout, boolean dataOnly) {
        CallbackFuture<Object> future = new CallbackFuture<>(options.completionExecutor());
        PendingCall pending = prepare(job, timeout, future, dataOnly);
        future.onCancel(() -> conductor.cancel(pending));
        conductor.offer(pending);
        return future;
    }

    private PendingCall offer(Job job, Duration timeout, CompletableFuture<Object> future, boolean dataOnly) {
        PendingCall pending = prepare(job, timeout, future, dataOnly);
        conductor.offer(pending);
        return pending;
    }

    private PendingCall prepare(Job job, Duration timeout, CompletableFuture<Object> future, boolean dataOnly) {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout=" + Durations.text(timeout) + " must be positive");
        }
        byte[] payload = job.serialize();
        if (payload.length > options.maxJobBytes()) {
            throw new JobTooLargeException(payload.length, options.maxJobBytes());
        }
        long expectedNs = timeout.toNanos();
        return new PendingCall(PendingCall.Kind.JOB, payload, expectedNs, expectedNs + marginNs,
            job.retryable() || options.retryable(), future, dataOnly, System.nanoTime());
    }

    private Call query(PendingCall.Kind kind, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        CompletableFuture<Object> future = new CompletableFuture<>();
        PendingCall pending = new PendingCall(kind, null, timeout.toNanos(), timeout.toNanos(), false, future, false,
            System.nanoTime());
        conductor.offer(pending);
        return new Call(future, pending);
    }

    @SuppressWarnings("unchecked")
    private <T> T await(Call call) {
        try {
            return (T) call.future.get();
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (call.future.cancel(false)) {
                conductor.cancel(call.pending);
            }
            throw new PowerhoseException("interrupted while waiting for the broker; the call is cancelled", e);
        }
    }

    /** A blocking call: its future and what the I/O thread knows of it. */
    private record Call(CompletableFuture<Object> future, PendingCall pending) {
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof PowerhoseException powerhose) {
            // Rebuild nothing: the exception carries its data; add the caller's stack as a suppressed trace.
            powerhose.addSuppressed(new Exception("called from here"));
            return powerhose;
        }
        return new PowerhoseException("call failed: " + cause, cause);
    }
}
