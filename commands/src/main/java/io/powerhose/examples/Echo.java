package io.powerhose.examples;

import io.powerhose.Job;
import io.powerhose.JobHandler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Replies with the job's data: {@code bin/powerhose io.powerhose.examples.Echo}.
 */
public final class Echo implements JobHandler {
    /** Creates the handler. */
    public Echo() {
    }

    @Override
    public byte[] handle(Job job) {
        return job.data();
    }

    /**
     * The same as a static method, for the {@code Class::method} target form.
     *
     * @param job the job
     * @return its data
     */
    public static byte[] echo(Job job) {
        return job.data();
    }

    /**
     * Echoes the data after appending it and a newline to the file named by the param {@code run_log}, so that a
     * test or {@code powerhose-soak} counts how many times each job ran (as the C echo worker does with
     * {@code --params run_log:PATH}): {@code powerhose-worker --params run_log:/tmp/runs.log
     * io.powerhose.examples.Echo::logged}.
     *
     * @param job the job
     * @param params the worker's params, with {@code run_log}
     * @return its data
     * @throws IOException when the file cannot be written (the job then fails)
     */
    public static byte[] logged(Job job, Map<String, String> params) throws IOException {
        byte[] line = (job.dataAsString() + "\n").getBytes(StandardCharsets.UTF_8);
        Files.write(Path.of(params.get("run_log")), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
            StandardOpenOption.WRITE);
        return job.data();
    }
}
