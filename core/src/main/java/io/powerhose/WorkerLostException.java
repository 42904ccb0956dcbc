package io.powerhose;

/**
 * The worker running the job died or went silent before it replied; the job may or may not have run.
 */
public final class WorkerLostException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final long workerPid;

    /**
     * Creates the exception.
     *
     * @param message the broker's explanation
     * @param workerPid the pid of the lost worker
     */
    public WorkerLostException(String message, long workerPid) {
        super(message);
        this.workerPid = workerPid;
    }

    /** @return the pid of the lost worker */
    public long workerPid() {
        return workerPid;
    }
}
