package io.powerhose.internal;

import java.time.Duration;

/**
 * Every default and protocol limit of the Java side, in one place: the options builders, the commands and the
 * broker read them from here (the C worker's are in {@code powerhose/worker.h}, the Python worker's at the top of
 * {@code worker.py}; docs/PROTOCOL.md, "Limits and errors", states the protocol's once for all of them). Names say
 * which concept each is (docs/PROTOCOL.md, "Words"). Pure constants.
 */
public final class Defaults {
    /** The frontend endpoint (clients). */
    public static final String FRONTEND = "ipc:///tmp/powerhose-front.ipc";
    /** The backend endpoint (workers). */
    public static final String BACKEND = "ipc:///tmp/powerhose-back.ipc";
    /** The beat endpoint (the broker's PUB; the seed calls it "heartbeat"). */
    public static final String BEAT = "ipc:///tmp/powerhose-beat.ipc";

    /** The largest job payload: the broker answers TOO_LARGE past it, a worker ERROR, a client refuses to send. */
    public static final long MAX_JOB_BYTES = 16L << 20;
    /** The largest result a worker may send back. */
    public static final long MAX_REPLY_BYTES = 64L << 20;
    /** The most jobs one worker runs at once: a worker's own bound, and what the broker believes of a READY. */
    public static final int MAX_CAPACITY = 1024;
    /** The most jobs one worker queues beyond its capacity: a worker's own bound, and what the broker believes. */
    public static final int MAX_PREFETCH = 1024;
    /** Jobs a worker accepts beyond its capacity (READY's prefetch). */
    public static final int PREFETCH = 32;
    /** Jobs queued in the broker. */
    public static final int MAX_QUEUED_JOBS = 10_000;
    /** Payload bytes queued in the broker. */
    public static final long MAX_QUEUED_BYTES = 256L << 20;
    /** Messages queued to or from one connection of the broker. */
    public static final int BROKER_HWM = 10_000;

    /** Time between two HEARTBEATs (worker to broker) and between two beats (the broker's PUB). */
    public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
    /** Heartbeat intervals of silence after which the broker forgets a worker. */
    public static final int LIVENESS = 3;
    /** A worker's beat check period ({@code pingDelay}). */
    public static final Duration PING_DELAY = Duration.ofSeconds(10);
    /** Beat checks without a beat before a worker quits ({@code pingRetries}). */
    public static final int PING_RETRIES = 3;
    /** How long a job waits for a worker when none is registered. */
    public static final Duration NO_WORKER_GRACE = Duration.ofSeconds(1);

    /** The job run limit: the longest a job may run in a worker (the worker's {@code timeout}). */
    public static final Duration RUN_LIMIT = Duration.ofMillis(7500);
    /** The expected job time: how long a job should take (the client's {@code timeout}). */
    public static final Duration EXPECTED_TIME = Duration.ofSeconds(5);
    /** The wait limit: how long a caller waits for a result (the client's {@code timeoutMaxOverflow}). */
    public static final Duration WAIT_LIMIT = Duration.ofMillis(7500);
    /** The wait limit the broker gives a Powerhose 0.x request, which carries none. */
    public static final Duration LEGACY_WAIT_LIMIT = WAIT_LIMIT;

    private Defaults() {
    }
}
