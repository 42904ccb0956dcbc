package io.powerhose.internal.runner;

/**
 * Every thread Powerhose starts, with its name and whether it keeps the JVM alive, decided here once
 * (docs/THREADING.md lists the same roles). The rule: a thread that serves other processes (a broker, a worker, a
 * heartbeat) keeps the JVM alive until it is closed, as a server's accept thread does; a thread that only serves
 * its own process (a client's I/O, a stethoscope, a job, a supervisor) is a daemon, so that it never holds a JVM
 * whose program has ended, and a job thread abandoned after its timeout never holds one either.
 */
public enum ThreadRole {
    /** The broker's one thread: its sockets, the worker table, the queue. */
    BROKER("powerhose-broker", false),
    /** A client's (or a pool connection's) I/O thread: its DEALER and its calls in flight. */
    CLIENT_IO("powerhose-client-io", true),
    /** A worker's socket thread: its DEALER, its SUB and its timers. */
    WORKER("powerhose-worker", false),
    /** A worker's job thread, {@code powerhose-job-N}: runs the handler; owns no socket. */
    JOB("powerhose-job", true),
    /** A {@code Heartbeat}'s PUB. */
    HEARTBEAT("powerhose-heartbeat", false),
    /** A {@code Stethoscope}'s SUB and its callbacks. */
    STETHOSCOPE("powerhose-stethoscope", true),
    /** A CURVE broker's watch of its allow-list directories: reads them and posts the lists to the broker. */
    ALLOW_LISTS("powerhose-allow-lists", true),
    /** A cluster's supervisor: the worker processes. */
    CLUSTER("powerhose-cluster", true),
    /** An HTTP handler of the commands' {@code --metrics} server, {@code powerhose-http-N}: reads snapshots only. */
    HTTP("powerhose-http", true),
    /** The status page's sampler: keeps a snapshot a second, for jobs/s and errors over the last minute. */
    STATUS_SAMPLER("powerhose-status-sampler", true),
    /** A shutdown hook, {@code powerhose-<what>-shutdown}: runs once when the JVM exits. */
    SHUTDOWN("powerhose-shutdown", false);

    private final String threadName;
    private final boolean daemon;

    ThreadRole(String threadName, boolean daemon) {
        this.threadName = threadName;
        this.daemon = daemon;
    }

    /** @return the thread's name (a job thread's gets {@code -N}) */
    public String threadName() {
        return threadName;
    }

    /** @return true when a thread of this role does not keep the JVM alive */
    public boolean daemon() {
        return daemon;
    }

    /**
     * Makes a thread of this role, not started.
     *
     * @param body what it runs
     * @param qualifier for {@link #JOB} the slot number, for {@link #HTTP} the thread's number, for {@link #SHUTDOWN}
     *     what it stops; null for the others
     * @return the thread
     */
    public Thread newThread(Runnable body, String qualifier) {
        String name = this == SHUTDOWN ? "powerhose-" + qualifier + "-shutdown"
            : qualifier == null ? threadName : threadName + "-" + qualifier;
        Thread thread = new Thread(body, name);
        thread.setDaemon(daemon);
        return thread;
    }
}
