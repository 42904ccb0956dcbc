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
     * Creates the exception from a worker's ERROR text, {@code "Class: message"} or plain text.
     *
     * @param errorText the text the worker sent
     * @param workerPid the pid of the worker that ran the job
     */
    public JobFailedException(String errorText, long workerPid) {
        super("job failed in worker " + workerPid + ": " + errorText);
        int colon = errorText.indexOf(": ");
        String head = colon > 0 ? errorText.substring(0, colon) : "";
        boolean typed = !head.isEmpty() && head.chars().noneMatch(Character::isWhitespace);
        this.remoteType = typed ? head : "";
        this.remoteMessage = typed ? errorText.substring(colon + 2) : errorText;
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
