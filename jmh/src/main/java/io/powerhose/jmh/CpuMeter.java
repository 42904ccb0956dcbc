package io.powerhose.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * CPU time per job of each part of a Powerhose trial, from the kernel's per-thread run time
 * ({@code /proc/<pid>/task/<tid>/schedstat}, nanoseconds): in the benchmark JVM the broker (its thread and its
 * libzmq threads, those that existed before the client was made) and the client (its I/O thread, its libzmq
 * threads, the benchmark thread that submits and the fork-join threads that complete the futures); the rest of
 * the JVM (JIT, GC, JMH); and every worker process whole. A {@link Recorder} belongs to one benchmark thread.
 */
final class CpuMeter {
    private CpuMeter() {
    }

    /** CPU nanoseconds so far, per part. */
    record Sample(long brokerNs, long clientNs, long otherNs, long workersNs) {
    }

    static long schedstatNs(Path task) {
        try {
            String text = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII);
            return Long.parseLong(text.substring(0, text.indexOf(' ')));
        } catch (NoSuchFileException e) {
            return 0; // the thread ended
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** All threads of a process, in ns; 0 when it is gone. */
    static long processNs(long pid) {
        long total = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                total += schedstatNs(task);
            }
        } catch (IOException e) {
            return total;
        }
        return total;
    }

    /** @return the ids of this JVM's libzmq threads (named ZMQbg/...) now */
    static Set<String> zmqThreadIds() {
        Set<String> ids = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                if (comm(task).startsWith("ZMQbg")) {
                    ids.add(task.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    static Sample sample(Set<String> brokerZmqThreads, List<Long> workerPids) {
        long broker = 0;
        long client = 0;
        long other = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String name = comm(task);
                long ns = schedstatNs(task);
                if (name.startsWith("powerhose-broke")
                    || name.startsWith("ZMQbg") && brokerZmqThreads.contains(task.getFileName().toString())) {
                    broker += ns;
                } else if (name.startsWith("powerhose-clien") || name.startsWith("ZMQbg")
                    || name.startsWith("io.powerhose.jm") || name.startsWith("ForkJoinPool")) {
                    client += ns;
                } else {
                    other += ns;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long workers = 0;
        for (long pid : workerPids) {
            workers += processNs(pid);
        }
        return new Sample(broker, client, other, workers);
    }

    /** Sums the CPU time and the jobs of the measured iterations of one trial. */
    static final class Recorder {
        private Sample start;
        private boolean measuring;
        private long jobs;
        private long brokerNs;
        private long clientNs;
        private long otherNs;
        private long workersNs;

        void begin(boolean measurement, Trial trial) {
            measuring = measurement;
            if (measuring) {
                start = sample(trial.brokerZmqThreads, trial.workerPids());
            }
        }

        void countJob() {
            if (measuring) {
                jobs++;
            }
        }

        /** Ends an iteration: call once its jobs are all answered. */
        void end(Trial trial) {
            if (!measuring) {
                return;
            }
            Sample now = sample(trial.brokerZmqThreads, trial.workerPids());
            brokerNs += now.brokerNs() - start.brokerNs();
            clientNs += now.clientNs() - start.clientNs();
            otherNs += now.otherNs() - start.otherNs();
            workersNs += now.workersNs() - start.workersNs();
            measuring = false;
        }

        /** @return {@code jobs=N broker_us=.. client_us=.. jvm_other_us=.. workers_us=..}, CPU µs per job */
        String line() {
            double n = Math.max(1, jobs);
            return String.format(Locale.ROOT, "jobs=%d broker_us=%.2f client_us=%.2f jvm_other_us=%.2f"
                + " workers_us=%.2f", jobs, brokerNs / 1e3 / n, clientNs / 1e3 / n, otherNs / 1e3 / n,
                workersNs / 1e3 / n);
        }
    }
}
