package io.powerhose;

/**
 * The code a worker runs for each job.
 *
 * <p>A worker finds a handler by class name: the class implements this interface and has a public constructor
 * taking {@code Map<String, String>} (the worker's params) or none. A public static method
 * {@code com.example.Echo::echo} taking a {@link Job} (and optionally the params map) and returning
 * {@code byte[]} or {@code String} works too.
 *
 * <p><b>Note:</b> a worker with capacity above 1 calls one handler from several threads at once.
 */
@FunctionalInterface
public interface JobHandler {
    /**
     * Runs one job.
     *
     * @param job the job
     * @return the result bytes
     * @throws Exception any failure; the caller gets a {@link JobFailedException} with its class and message
     */
    byte[] handle(Job job) throws Exception;
}
