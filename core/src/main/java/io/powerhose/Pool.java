package io.powerhose;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of {@code size} {@link Client} connections with the same interface, for the documented Powerhose 0.x
 * {@code Pool}: calls are spread over the connections round robin. One {@link Client} already carries many
 * calls at once; a pool adds I/O threads, which helps only when one I/O thread is the bottleneck.
 *
 * <p><b>Note:</b> thread safe; share one instance. Close once; not reusable.
 */
public final class Pool implements AutoCloseable {
    private final List<Client> clients;
    private final AtomicInteger next = new AtomicInteger();

    /**
     * Creates a pool with the documented defaults: 10 connections to the default frontend.
     */
    public Pool() {
        this(10, ClientOptions.builder().build());
    }

    /**
     * Creates a pool with the documented Powerhose 0.x parameters.
     *
     * @param size number of connections
     * @param frontend the broker's frontend, or several brokers' separated by commas
     * @param timeout how long a job should take
     * @param timeoutMaxOverflow how long a caller waits
     * @param timeoutOverflows overflows in a row allowed per worker
     */
    public Pool(int size, String frontend, Duration timeout, Duration timeoutMaxOverflow, int timeoutOverflows) {
        this(size, ClientOptions.builder().frontend(frontend).timeout(timeout).timeoutMaxOverflow(timeoutMaxOverflow)
            .timeoutOverflows(timeoutOverflows).build());
    }

    /**
     * Creates a pool.
     *
     * @param size number of connections, 1 or more
     * @param options the settings of each connection
     */
    public Pool(int size, ClientOptions options) {
        if (size < 1) {
            throw new ConfigurationException("size=" + size + " must be 1 or more");
        }
        Objects.requireNonNull(options, "options");
        List<Client> created = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            created.add(new Client(options));
        }
        this.clients = List.copyOf(created);
    }

    private Client pick() {
        return clients.get(Math.floorMod(next.getAndIncrement(), clients.size()));
    }

    /**
     * @param job the job
     * @return the result
     * @see Client#execute(Job)
     */
    public byte[] execute(Job job) {
        return pick().execute(job);
    }

    /**
     * @param job the job
     * @param timeout how long the job should take
     * @return the result
     * @see Client#execute(Job, Duration)
     */
    public byte[] execute(Job job, Duration timeout) {
        return pick().execute(job, timeout);
    }

    /**
     * @param data the job's data
     * @return the result
     * @see Client#execute(byte[])
     */
    public byte[] execute(byte[] data) {
        return pick().execute(data);
    }

    /**
     * @param data the job's data
     * @param timeout how long the job should take
     * @return the result
     * @see Client#execute(byte[], Duration)
     */
    public byte[] execute(byte[] data, Duration timeout) {
        return pick().execute(data, timeout);
    }

    /**
     * @param data the job's data as text
     * @return the result as text
     * @see Client#execute(String)
     */
    public String execute(String data) {
        return pick().execute(data);
    }

    /**
     * @param data the job's data as text
     * @param timeout how long the job should take
     * @return the result as text
     * @see Client#execute(String, Duration)
     */
    public String execute(String data, Duration timeout) {
        return pick().execute(data, timeout);
    }

    /**
     * @param job the job
     * @param timeout how long the job should take
     * @return the result with the worker's pid and the time it took
     * @see Client#executeForResult(Job, Duration)
     */
    public JobResult executeForResult(Job job, Duration timeout) {
        return pick().executeForResult(job, timeout);
    }

    /**
     * @param job the job
     * @return the result's future
     * @see Client#submit(Job)
     */
    public CompletableFuture<byte[]> submit(Job job) {
        return pick().submit(job);
    }

    /**
     * @param job the job
     * @param timeout how long the job should take
     * @return the result's future
     * @see Client#submit(Job, Duration)
     */
    public CompletableFuture<byte[]> submit(Job job, Duration timeout) {
        return pick().submit(job, timeout);
    }

    /**
     * @param data the job's data
     * @return the result's future
     * @see Client#submit(byte[])
     */
    public CompletableFuture<byte[]> submit(byte[] data) {
        return pick().submit(data);
    }

    /**
     * @param job the job
     * @param timeout how long the job should take
     * @return the future of the result with the worker's pid and the time it took
     * @see Client#submitForResult(Job, Duration)
     */
    public CompletableFuture<JobResult> submitForResult(Job job, Duration timeout) {
        return pick().submitForResult(job, timeout);
    }

    /**
     * @param timeout how long to wait
     * @return the broker's pid, or empty
     * @see Client#ping(Duration)
     */
    public OptionalLong ping(Duration timeout) {
        return pick().ping(timeout);
    }

    /**
     * @return the broker's pid, or empty when none answered within 1 s
     * @see Client#ping()
     */
    public OptionalLong ping() {
        return pick().ping();
    }

    /**
     * @param timeout how long to wait
     * @return the broker's state and counters, one {@code key=value} per line, or empty when none answered in time
     * @see Client#status(Duration)
     */
    public Optional<String> status(Duration timeout) {
        return pick().status(timeout);
    }

    /** @return the replies that came after their caller had given up, over every connection */
    public long lateReplies() {
        return clients.stream().mapToLong(Client::lateReplies).sum();
    }

    /** @return the jobs the pool holds now, over every connection */
    public int pendingCalls() {
        return clients.stream().mapToInt(Client::pendingCalls).sum();
    }

    /** @return the number of connections */
    public int size() {
        return clients.size();
    }

    /** Closes every connection. Idempotent. */
    @Override
    public void close() {
        for (Client client : clients) {
            client.close();
        }
    }
}
