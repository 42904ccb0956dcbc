package io.powerhose;

import io.powerhose.internal.protocol.JobCodec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A job: raw data plus text headers, as it travels to a worker.
 *
 * <p>The serialized form is the one Powerhose 0.x used, {@code <headers>:::<data>} (see docs/PROTOCOL.md):
 * <pre>{@code
 * new Job("4*2").serialize()                       // "NONE:::4*2" as bytes
 * Job.loadFromString("NONE:::4*2").dataAsString()  // "4*2"
 * }</pre>
 *
 * <p>A job is delivered at most once by default: if the worker running it dies, its caller gets
 * {@link WorkerLostException}. A job marked {@link #retryable(boolean) retryable} is at-least-once instead.
 *
 * <p><b>Note:</b> not thread safe while headers are being added; a job handed to a client must not be
 * changed afterwards.
 */
public final class Job {
    private final byte[] data;
    private final Map<String, String> headers;
    private boolean retryable;
    private Duration budget;

    /** Creates a job with empty data and no headers. */
    public Job() {
        this(new byte[0]);
    }

    /**
     * Creates a job from text data, encoded as UTF-8.
     *
     * @param data the data
     */
    public Job(String data) {
        this(Objects.requireNonNull(data, "data").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Creates a job from raw data.
     *
     * @param data the data; the array is used as is, not copied
     */
    public Job(byte[] data) {
        this(data, Map.of());
    }

    /**
     * Creates a job from text data and headers.
     *
     * @param data the data, encoded as UTF-8
     * @param headers the headers, copied in iteration order
     */
    public Job(String data, Map<String, String> headers) {
        this(Objects.requireNonNull(data, "data").getBytes(StandardCharsets.UTF_8), headers);
    }

    /**
     * Creates a job from raw data and headers.
     *
     * @param data the data; the array is used as is, not copied
     * @param headers the headers, copied in iteration order
     */
    public Job(byte[] data, Map<String, String> headers) {
        this.data = Objects.requireNonNull(data, "data");
        this.headers = new LinkedHashMap<>();
        Objects.requireNonNull(headers, "headers").forEach(this::addHeader);
    }

    /**
     * Adds a header, replacing any header of the same name.
     *
     * @param name the header name
     * @param value the header value
     * @return this job
     */
    public Job addHeader(String name, String value) {
        headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Marks the job at-least-once (or back to at-most-once, the default). When the worker running a retryable job
     * is lost (it dies, or goes silent), the broker sends the job once more, to another worker, within what is left
     * of its timeout, instead of failing the call; the caller gets one answer. The handler may therefore run twice:
     * only mark jobs whose handler can safely run again. A job that loses its second worker too is not retried again
     * (it may be what kills them): the call fails with {@link WorkerLostException}, whose message says so. Travels
     * as a flag of the REQUEST, not in the payload; a broker older than the flag refuses the job
     * ({@link ProtocolException}).
     *
     * @param retryable true for at-least-once
     * @return this job
     */
    public Job retryable(boolean retryable) {
        this.retryable = retryable;
        return this;
    }

    /** @return whether the job is at-least-once ({@link #retryable(boolean)}) */
    public boolean retryable() {
        return retryable;
    }

    /**
     * Sets how long the caller will still wait for this job's result. A worker sets it before it calls the
     * handler, from the REQUEST's budget minus the time the job waited in the worker, so that a handler can give
     * up early, or do less, when little time is left. A client does not send it: a call's timeout is what counts.
     *
     * @param budget the time left, zero or more
     * @return this job
     */
    public Job budget(Duration budget) {
        Objects.requireNonNull(budget, "budget");
        if (budget.isNegative()) {
            throw new IllegalArgumentException("budget=" + budget + " must not be negative");
        }
        this.budget = budget;
        return this;
    }

    /**
     * @return how long the caller will still wait for the result, as of when a worker started the job; empty outside
     *     a worker (see {@link #budget(Duration)})
     */
    public Optional<Duration> budget() {
        return Optional.ofNullable(budget);
    }

    /** @return the raw data (the array itself, not a copy) */
    public byte[] data() {
        return data;
    }

    /** @return the data decoded as UTF-8 */
    public String dataAsString() {
        return new String(data, StandardCharsets.UTF_8);
    }

    /** @return the headers in the order they were added (read only) */
    public Map<String, String> headers() {
        return Collections.unmodifiableMap(headers);
    }

    /**
     * Returns a header's value.
     *
     * @param name the header name
     * @return the value, or null when the job has no such header
     */
    public String header(String name) {
        return headers.get(name);
    }

    /**
     * Serializes the job to its wire form, {@code <headers>:::<data>}.
     *
     * @return the payload bytes
     */
    public byte[] serialize() {
        return JobCodec.encode(headers, data);
    }

    /**
     * Reads a job from its wire form.
     *
     * @param serialized the payload, as text (UTF-8)
     * @return the job
     * @throws ProtocolException when the payload is malformed
     */
    public static Job loadFromString(String serialized) {
        return loadFromString(Objects.requireNonNull(serialized, "serialized").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a job from its wire form.
     *
     * @param serialized the payload bytes
     * @return the job
     * @throws ProtocolException when the payload is malformed
     */
    public static Job loadFromString(byte[] serialized) {
        JobCodec.Decoded decoded = JobCodec.decode(Objects.requireNonNull(serialized, "serialized"));
        return new Job(decoded.data(), decoded.headers());
    }

    @Override
    public String toString() {
        return "Job{" + data.length + " bytes, headers=" + headers + (retryable ? ", retryable" : "") + "}";
    }
}
