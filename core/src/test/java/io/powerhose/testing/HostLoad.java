package io.powerhose.testing;

import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.Job;
import io.powerhose.JobResult;
import io.powerhose.PowerhoseException;
import io.powerhose.WorkerLostException;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A client process for the host tests, run inside a host ({@link HostLoadReport} reads it). One {@link Client}
 * takes commands on stdin: {@code status} prints the broker's STATUS; {@code start} starts sending unique echo
 * jobs at a steady rate with at most a number in flight; {@code stop} stops sending, waits for the calls in flight
 * and exits. Every outcome is one line on stdout, stamped with {@link System#nanoTime()} (CLOCK_MONOTONIC, the
 * same clock as the test JVM's):
 * <pre>
 * ready                               connected (or connecting), waiting for commands
 * s LINE                              a line of the STATUS answer, then "s-end N" (N: the request's number)
 * started NS
 * o PID NS                            a correct result from worker PID
 * f NS EXCEPTION PID SUBMIT_NS TEXT   a failure (PID: the lost worker's, else -1)
 * bad NS PID                          a result that is not the job's own data
 * done ok=N failed=N bad=N
 * </pre>
 * Arguments: {@code FRONTEND RATE_PER_S IN_FLIGHT TIMEOUT_MS}. It exits when its parent process does.
 */
public final class HostLoad {
    private static final Queue<String> LINES = new ConcurrentLinkedQueue<>();
    private static final Semaphore STARTED = new Semaphore(0);
    private static volatile boolean printing = true;
    private static volatile boolean stopRequested;
    private static volatile Client client;

    private HostLoad() {
    }

    /**
     * Runs the load.
     *
     * @param args {@code FRONTEND RATE_PER_S IN_FLIGHT TIMEOUT_MS}
     * @throws Exception when the harness itself fails
     */
    public static void main(String[] args) throws Exception {
        String frontend = args[0];
        double ratePerS = Double.parseDouble(args[1]);
        int inFlight = Integer.parseInt(args[2]);
        Duration timeout = Duration.ofMillis(Long.parseLong(args[3]));
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(2)));
        Thread printer = new Thread(HostLoad::print, "host-load-printer");
        printer.start();
        Thread stdin = new Thread(HostLoad::readStdin, "host-load-stdin");
        stdin.setDaemon(true);
        stdin.start();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong bad = new AtomicLong();
        Semaphore window = new Semaphore(inFlight);
        long periodNs = (long) (1e9 / ratePerS);
        try (Client connected = new Client(ClientOptions.builder().frontend(frontend).timeout(timeout)
                .timeoutMaxOverflow(timeout).build())) {
            client = connected;
            LINES.add("ready");
            STARTED.acquire();
            LINES.add("started " + System.nanoTime());
            long nextNs = System.nanoTime();
            for (long n = 0; !stopRequested; n++) {
                long waitNs = nextNs - System.nanoTime();
                if (waitNs > 0) {
                    LockSupport.parkNanos(waitNs);
                }
                nextNs += periodNs;
                boolean acquired = false;
                while (!acquired && !stopRequested) {
                    acquired = window.tryAcquire(50, TimeUnit.MILLISECONDS);
                }
                if (stopRequested) {
                    if (acquired) {
                        window.release();
                    }
                    break;
                }
                byte[] data = ("job-" + n).getBytes(StandardCharsets.US_ASCII);
                long submitNs = System.nanoTime();
                client.submitForResult(new Job(data), timeout).whenComplete((result, error) -> {
                    long nowNs = System.nanoTime();
                    if (error == null) {
                        onResult(result, data, nowNs, ok, bad);
                    } else {
                        failed.incrementAndGet();
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                        long pid = cause instanceof WorkerLostException lost ? lost.workerPid() : -1;
                        LINES.add("f " + nowNs + " " + cause.getClass().getSimpleName() + " " + pid + " " + submitNs
                            + " " + String.valueOf(cause.getMessage()).replace('\n', ' '));
                    }
                    window.release();
                });
            }
            if (!window.tryAcquire(inFlight, timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
                LINES.add("stuck " + (inFlight - window.availablePermits()) + " calls never completed");
            }
        } catch (PowerhoseException e) {
            LINES.add("error " + e);
        }
        LINES.add("done ok=" + ok.get() + " failed=" + failed.get() + " bad=" + bad.get());
        printing = false;
        printer.join();
    }

    private static void onResult(JobResult result, byte[] data, long nowNs, AtomicLong ok, AtomicLong bad) {
        if (Arrays.equals(result.data(), data)) {
            ok.incrementAndGet();
            LINES.add("o " + result.workerPid() + " " + nowNs);
        } else {
            bad.incrementAndGet();
            LINES.add("bad " + nowNs + " " + result.workerPid());
        }
    }

    private static void readStdin() {
        int statusRequests = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String command = line.strip();
                if (command.equals("stop")) {
                    break;
                } else if (command.equals("start")) {
                    STARTED.release();
                } else if (command.equals("status")) {
                    statusRequests++;
                    String text = client.status(Duration.ofSeconds(1)).orElse("(no answer)");
                    for (String statusLine : text.split("\n")) {
                        LINES.add("s " + statusLine);
                    }
                    LINES.add("s-end " + statusRequests);
                }
            }
        } catch (IOException e) {
            // the test is gone: stop as if asked
        }
        stopRequested = true;
        STARTED.release();
    }

    private static void print() {
        try (Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16)) {
            while (true) {
                boolean last = !printing;
                String line;
                while ((line = LINES.poll()) != null) {
                    out.write(line);
                    out.write('\n');
                }
                out.flush();
                if (last) {
                    return;
                }
                LockSupport.parkNanos(5_000_000L);
            }
        } catch (IOException e) {
            System.exit(3);
        }
    }
}
