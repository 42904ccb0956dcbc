package io.powerhose.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The three broker endpoints of one benchmark trial: ipc files in a fresh temp folder, or tcp on 127.0.0.1.
 * The broker takes explicit endpoints, so for tcp a base port is drawn at random from 20000-59997 and the
 * caller retries with {@link #next()} when a bind fails (a port taken by someone else); the ports are never
 * probed first. Not thread safe; used by the thread that runs {@code @Setup}.
 *
 * @param transport "ipc" or "tcp"
 * @param dir the temp folder (worker logs go there too)
 * @param frontend the frontend endpoint
 * @param backend the backend endpoint
 * @param heartbeat the heartbeat endpoint
 */
record Endpoints(String transport, Path dir, String frontend, String backend, String heartbeat) {

    /** How many times a tcp set-up draws new ports before giving up. */
    static final int TCP_ATTEMPTS = 8;

    static Endpoints create(String transport) {
        try {
            return of(transport, Files.createTempDirectory("powerhose-jmh-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Endpoints of(String transport, Path dir) {
        switch (transport) {
            case "ipc":
                return new Endpoints(transport, dir, "ipc://" + dir.resolve("front.ipc"),
                    "ipc://" + dir.resolve("back.ipc"), "ipc://" + dir.resolve("beat.ipc"));
            case "tcp":
                int base = ThreadLocalRandom.current().nextInt(20_000, 59_998);
                return new Endpoints(transport, dir, "tcp://127.0.0.1:" + base, "tcp://127.0.0.1:" + (base + 1),
                    "tcp://127.0.0.1:" + (base + 2));
            default:
                throw new IllegalArgumentException("transport=" + transport + " (ipc or tcp)");
        }
    }

    /** @return the same transport and folder with new tcp ports (ipc: the same endpoints) */
    Endpoints next() {
        return of(transport, dir);
    }

    /** Removes the temp folder and what is left in it (worker logs). */
    void delete() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: the folder is in the temp dir
        }
    }
}
