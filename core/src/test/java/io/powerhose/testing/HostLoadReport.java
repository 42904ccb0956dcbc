package io.powerhose.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Drives a {@link HostLoad} process and reads its report as it grows (only the new bytes at each
 * {@link #refresh()}), so that a test can wait on its figures while the load runs. Used by the test's thread.
 */
public final class HostLoadReport {
    private final TestCluster.ManagedProcess process;
    private final Path log;
    private final Map<Long, Long> okByPid = new HashMap<>();
    private final List<Long> okPids = new ArrayList<>();
    private final List<Long> okTimesNs = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();
    private final List<String> statusLines = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private long offset;
    private String partial = "";
    private long ok;
    private long bad;
    private int statusAnswers;
    private String lastStatus = "";
    private boolean ready;
    private boolean done;

    /** One failed call. */
    public record Failure(long atNs, String exception, long workerPid, long submitNs, String message) {
    }

    /**
     * @param process a running {@link HostLoad}, started with its stderr in the same log
     */
    public HostLoadReport(TestCluster.ManagedProcess process) {
        this.process = process;
        this.log = process.logFile();
    }

    /** Waits for the client to be ready for commands. */
    public void awaitReady() {
        TestCluster.await(() -> refresh().ready, Duration.ofSeconds(30), () -> "client not ready:\n" + process.log());
    }

    /**
     * Sends a command ({@code status}, {@code start}, {@code stop}).
     *
     * @param command the command
     */
    public void send(String command) {
        try {
            process.process().getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
            process.process().getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("client gone:\n" + process.log(), e);
        }
    }

    /**
     * Asks the broker for its STATUS through the client, and waits for the answer.
     *
     * @return the STATUS text, or "(no answer)"
     */
    public String status() {
        int expected = statusAnswers + 1;
        send("status");
        TestCluster.await(() -> refresh().statusAnswers >= expected, Duration.ofSeconds(10),
            () -> "no STATUS answer:\n" + process.log());
        return lastStatus;
    }

    /**
     * Reads what the client printed since the last call.
     *
     * @return this
     */
    public HostLoadReport refresh() {
        byte[] bytes;
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            if (length <= offset) {
                return this;
            }
            bytes = new byte[(int) (length - offset)];
            file.seek(offset);
            file.readFully(bytes);
            offset = length;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String text = partial + new String(bytes, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        partial = text.substring(end + 1);
        for (String line : text.substring(0, Math.max(0, end)).split("\n")) {
            onLine(line);
        }
        return this;
    }

    private void onLine(String line) {
        if (line.startsWith("o ")) {
            String[] parts = line.split(" ");
            long pid = Long.parseLong(parts[1]);
            long atNs = Long.parseLong(parts[2]);
            ok++;
            okByPid.merge(pid, 1L, Long::sum);
            okPids.add(pid);
            okTimesNs.add(atNs);
        } else if (line.startsWith("f ")) {
            String[] parts = line.split(" ", 6);
            failures.add(new Failure(Long.parseLong(parts[1]), parts[2], Long.parseLong(parts[3]),
                Long.parseLong(parts[4]), parts.length > 5 ? parts[5] : ""));
        } else if (line.startsWith("s ")) {
            statusLines.add(line.substring(2));
        } else if (line.startsWith("s-end ")) {
            lastStatus = String.join("\n", statusLines);
            statusLines.clear();
            statusAnswers++;
        } else if (line.startsWith("bad ")) {
            bad++;
            problems.add(line);
        } else if (line.equals("ready")) {
            ready = true;
        } else if (line.startsWith("done ")) {
            done = true;
        } else if (line.startsWith("stuck ") || line.startsWith("error ")) {
            problems.add(line);
        }
    }

    /** @return correct results so far */
    public long ok() {
        return ok;
    }

    /** @return results that were not the job's own data (must stay 0) */
    public long bad() {
        return bad;
    }

    /** @return whether it printed its last line */
    public boolean done() {
        return done;
    }

    /** @return lines that say something went wrong in the client itself */
    public List<String> problems() {
        return problems;
    }

    /** @return every failed call so far, in the order reported */
    public List<Failure> failures() {
        return failures;
    }

    /**
     * @param pids some workers
     * @return how many results they gave
     */
    public long okFrom(Set<Long> pids) {
        long count = 0;
        for (long pid : pids) {
            count += okByPid.getOrDefault(pid, 0L);
        }
        return count;
    }

    /**
     * @param pids some workers
     * @param fromNs a time
     * @param toNs a later time
     * @return how many results they gave between the two times
     */
    public long okFrom(Set<Long> pids, long fromNs, long toNs) {
        long count = 0;
        for (int i = 0; i < okTimesNs.size(); i++) {
            long atNs = okTimesNs.get(i);
            if (atNs - fromNs >= 0 && atNs - toNs < 0 && pids.contains(okPids.get(i))) {
                count++;
            }
        }
        return count;
    }

    /**
     * @param pids some workers
     * @param afterNs a time
     * @return when the first of their results after that time came, or {@code Long.MIN_VALUE} when none has
     */
    public long firstOkAfter(Set<Long> pids, long afterNs) {
        for (int i = 0; i < okTimesNs.size(); i++) {
            long atNs = okTimesNs.get(i);
            if (atNs - afterNs > 0 && pids.contains(okPids.get(i))) {
                return atNs;
            }
        }
        return Long.MIN_VALUE;
    }

    /** @return the workers that gave results, with how many each */
    public Map<Long, Long> okByPid() {
        return okByPid;
    }
}
