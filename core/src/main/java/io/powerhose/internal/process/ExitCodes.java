package io.powerhose.internal.process;

/**
 * The exit codes of every command and worker process, documented in docs/OPERATIONS.md (one table). The
 * supervisor reads them too: a worker that exits with {@link #CONFIGURATION} is not respawned.
 */
public final class ExitCodes {
    /** Success; for a worker, also a normal end (stopped, max age, beat lost, its parent gone). */
    public static final int OK = 0;
    /** A failure at run time; for {@code powerhose-broker --check}, no broker answers. */
    public static final int FAILED = 1;
    /** Bad command-line usage. */
    public static final int USAGE = 2;
    /** A configuration error: bad target, bad option value, bad endpoint or log file, native library missing. */
    public static final int CONFIGURATION = 3;
    /** {@code powerhose-client}: the job timed out. */
    public static final int TIMEOUT = 4;
    /** {@code powerhose-client}: the job failed in the worker. */
    public static final int JOB_FAILED = 5;
    /** {@code powerhose-client}: no worker. */
    public static final int NO_WORKER = 6;
    /** {@code powerhose-client}: worker lost, broker lost or busy. */
    public static final int UNAVAILABLE = 7;
    /** A broker already runs on the frontend. */
    public static final int DUPLICATE_BROKER = 8;

    private ExitCodes() {
    }
}
