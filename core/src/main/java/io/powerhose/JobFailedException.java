package io.powerhose;

/**
 * The worker ran the job and the job raised an error; the worker is fine and keeps working.
 */
public final class JobFailedException extends PowerhoseException {
    private static final long serialVersionUID = 1L;
    private final String remoteType;
    private final String remoteMessage;
    private final long workerPid;

    /**
     * Creates the exception.
     *
     * @param remoteType the class name of the error raised in the worker, or "" when the worker did not say
     * @param remoteMessage the error's message as the worker sent it
     * @param workerPid the pid of the worker that ran the job
     */
    public JobFailedException(String remoteType, String remoteMessage, long workerPid) {
        super("job failed in worker " + workerPid + ": "
            + (remoteType.isEmpty() ? remoteMessage : remoteType + ": " + remoteMessage));
        this.remoteType = remoteType;
        this.remoteMessage = remoteMessage;
        this.workerPid = workerPid;
    }

    /** @return the class name of the error raised in the worker, or "" when the worker did not say */
    public String remoteType() {
        return remoteType;
    }

    /** @return the error's message as the worker sent it */
    public String remoteMessage() {
        return remoteMessage;
    }

    /** @return the pid of the worker that ran the job */
    public long workerPid() {
        return workerPid;
    }
}
