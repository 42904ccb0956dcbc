package io.powerhose.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Facts a benchmark fork measures besides its score (calibration, latency percentiles), appended as one
 * {@code key=value ...} line each to the file named by the system property {@code powerhose.bench.sidecar}
 * that {@link Bench} gives the forks; without it (a plain JMH run) printed on stdout. Thread safe.
 */
final class Sidecar {
    static final String PROPERTY = "powerhose.bench.sidecar";

    private Sidecar() {
    }

    static synchronized void write(String line) {
        String path = System.getProperty(PROPERTY);
        if (path == null || path.isEmpty()) {
            System.out.println("[powerhose] " + line);
            return;
        }
        try {
            Files.writeString(Path.of(path), line + System.lineSeparator(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            System.err.println("[powerhose] cannot write " + path + ": " + e);
        }
    }
}
