package io.powerhose.internal.cluster;

/**
 * How a worker process started by a {@link io.powerhose.Cluster} sets up its logging, found with
 * {@link java.util.ServiceLoader} on the child's class path. The commands module provides one for logback (the
 * commands' line format, {@code --logfile} rotation); without one the child keeps whatever its slf4j binding
 * does by default, and its output goes where the cluster sends it. Called once, on the child's main thread,
 * before anything logs.
 */
public interface ProcessLogging {
    /**
     * Configures logging, when this provider applies to the binding in use.
     *
     * @param debug DEBUG level when true
     * @param logfile "stdout", "stderr", or a file path
     * @throws io.powerhose.ConfigurationException when the log file cannot be written
     */
    void configure(boolean debug, String logfile);
}
