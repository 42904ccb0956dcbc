package io.powerhose.cli;

import io.powerhose.BrokerBusyException;
import io.powerhose.BrokerLostException;
import io.powerhose.BrokerOptions;
import io.powerhose.Client;
import io.powerhose.ClientBusyException;
import io.powerhose.ClientOptions;
import io.powerhose.ConfigurationException;
import io.powerhose.HandshakeFailedException;
import io.powerhose.Job;
import io.powerhose.JobFailedException;
import io.powerhose.JobTimeoutException;
import io.powerhose.NoWorkerException;
import io.powerhose.PowerhoseException;
import io.powerhose.WorkerLostException;
import io.powerhose.internal.process.ExitCodes;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code powerhose-client}: sends one job and prints its result, pings the broker, or sends many jobs and prints
 * one summary line (a small {@code redis-benchmark}). Exit codes tell timeouts, job errors and missing workers
 * apart, for shell scripts and health checks.
 */
@Command(name = "powerhose-client", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Send a job to a Powerhose broker and print the result.",
        "Exit codes: 0 ok, 1 other failure (--ping: no broker), 2 usage, 3 configuration (bad option value or "
            + "endpoint, unknown host, libjzmq missing, a key file that cannot be used, a security handshake the "
            + "broker refused), 4 timeout, 5 job failed, 6 no worker, "
            + "7 worker lost / broker lost / busy."},
    versionProvider = VersionProvider.class)
public final class ClientCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "DATA", description = "The job's data.")
    String data;

    @Option(names = "--frontend", paramLabel = "FRONTEND",
        description = "The broker's frontend, or several brokers' separated by commas (tcp://a:5555,tcp://b:5555):"
            + " each job goes to one that is up. Default: ${DEFAULT-VALUE}")
    String frontend = BrokerOptions.DEFAULT_FRONTEND;

    @Option(names = {"--timeout", "--expected-time"}, paramLabel = "SECONDS",
        description = "The expected time: how long a job should take; the client waits 2.5 s more. "
            + "Default: ${DEFAULT-VALUE}")
    double timeout = 5;

    @Option(names = "--ping", description = "Print the broker's pid (exit 1 when none answers).")
    boolean ping;

    @Option(names = "--count", paramLabel = "N", description = "Send N jobs and print a summary line.")
    int count;

    @Option(names = "--concurrency", paramLabel = "C",
        description = "Jobs in flight with --count. Default: ${DEFAULT-VALUE}")
    int concurrency = 1;

    @Option(names = "--size", paramLabel = "BYTES", description = "Job size with --count. Default: ${DEFAULT-VALUE}")
    int size = 64;

    @Option(names = "--debug", description = "Debug mode")
    boolean debug;

    @Mixin
    CurveOptions curve = new CurveOptions();

    private final PrintStream out;

    /** Creates the command printing to standard output. */
    public ClientCommand() {
        this(System.out);
    }

    ClientCommand(PrintStream out) {
        this.out = out;
    }

    ClientOptions toOptions() {
        Duration jobTimeout = Seconds.of(timeout);
        return ClientOptions.builder().frontend(frontend).timeout(jobTimeout)
            .timeoutMaxOverflow(jobTimeout.plusMillis(2500)).curveServerKey(curve.serverCertificate())
            .curveKey(curve.ownCertificate()).build();
    }

    @Override
    public Integer call() {
        Logging.configure(debug ? ch.qos.logback.classic.Level.DEBUG : ch.qos.logback.classic.Level.WARN, "stderr");
        if (data == null && !ping && count <= 0) {
            System.err.println("powerhose-client: give DATA, --ping or --count (see --help)");
            return ExitCodes.USAGE;
        }
        try {
            ClientOptions options = toOptions();
            Commands.checkConnectEndpoints("--frontend", frontend);
            return run(options);
        } catch (PowerhoseException e) {
            System.err.println("powerhose-client: " + e.getMessage());
            return exitCode(e);
        }
    }

    private int run(ClientOptions options) {
        try (Client client = new Client(options)) {
            if (ping) {
                OptionalLong pid = client.ping(Seconds.of(Math.min(timeout, 2)));
                if (pid.isEmpty()) {
                    System.err.println("powerhose-client: no broker answered on " + frontend);
                    return ExitCodes.FAILED;
                }
                out.println(pid.getAsLong());
                return ExitCodes.OK;
            }
            if (count > 0) {
                return bench(client);
            }
            out.println(client.execute(data));
            return ExitCodes.OK;
        }
    }

    static int exitCode(PowerhoseException e) {
        if (e instanceof ConfigurationException || e instanceof HandshakeFailedException) {
            return ExitCodes.CONFIGURATION;
        }
        if (e instanceof JobTimeoutException) {
            return ExitCodes.TIMEOUT;
        }
        if (e instanceof JobFailedException) {
            return ExitCodes.JOB_FAILED;
        }
        if (e instanceof NoWorkerException) {
            return ExitCodes.NO_WORKER;
        }
        if (e instanceof WorkerLostException || e instanceof BrokerLostException || e instanceof BrokerBusyException
            || e instanceof ClientBusyException) {
            return ExitCodes.UNAVAILABLE;
        }
        return ExitCodes.FAILED;
    }

    private int bench(Client client) {
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) 'x');
        Histogram latencyUs = new Histogram(3_600_000_000L, 3);
        Semaphore slots = new Semaphore(concurrency);
        AtomicLong errors = new AtomicLong();
        AtomicLong firstError = new AtomicLong(-1);
        String[] firstMessage = new String[1];
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            slots.acquireUninterruptibly();
            long sentNs = System.nanoTime();
            CompletableFuture<byte[]> result = client.submit(new Job(payload));
            result.whenComplete((bytes, error) -> {
                if (error == null && bytes.length == payload.length) {
                    synchronized (latencyUs) {
                        latencyUs.recordValue(Math.max(1, (System.nanoTime() - sentNs) / 1_000));
                    }
                } else {
                    errors.incrementAndGet();
                    if (firstError.compareAndSet(-1, 0)) {
                        firstMessage[0] = error == null ? "wrong result length " + bytes.length : error.getMessage();
                    }
                }
                slots.release();
            });
        }
        slots.acquireUninterruptibly(concurrency);
        double seconds = (System.nanoTime() - start) / 1e9;
        synchronized (latencyUs) {
            out.printf("jobs=%d concurrency=%d size=%d seconds=%.3f jobs_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d "
                    + "errors=%d%n", count, concurrency, size, seconds, count / seconds,
                latencyUs.getValueAtPercentile(50), latencyUs.getValueAtPercentile(99),
                latencyUs.getValueAtPercentile(99.9), errors.get());
        }
        if (firstMessage[0] != null) {
            System.err.println("powerhose-client: first error: " + firstMessage[0]);
        }
        return errors.get() == 0 ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(Commands.run(new ClientCommand(), args));
    }

}
