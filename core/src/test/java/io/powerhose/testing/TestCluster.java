package io.powerhose.testing;

import io.powerhose.Broker;
import io.powerhose.BrokerOptions;
import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.internal.Durations;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.cluster.WorkerMain;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.SocketOwners;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A real Powerhose set-up for one test: ipc endpoints in a fresh temp dir, an in-process or child-process
 * broker, worker processes (Java, or any command line), and clients. Register with {@code @RegisterExtension}.
 * After each test it closes clients, ends every process it started by its own {@link Process} handle (polite
 * stop, then forced), prints the processes' logs when the test failed, and fails the test when a process it
 * started is still alive, a thread died of an uncaught exception, or a socket was touched by a thread that does not
 * own it ({@link SocketOwners}: in this JVM, or in the log of a process it started; they all run with {@code -ea}).
 */
public final class TestCluster implements BeforeEachCallback, AfterEachCallback {
    /** What {@link SocketOwners} writes when a thread touches a socket it does not own (in any process's log). */
    private static final String OWNER_VIOLATION = "on a socket of thread '";
    private final List<ManagedProcess> processes = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final List<Throwable> uncaught = new CopyOnWriteArrayList<>();
    private Thread.UncaughtExceptionHandler previousHandler;
    private int ownerViolationsBefore;
    private Path dir;
    private Broker broker;
    private int processCount;
    /** The child processes of this JVM before the test (other test classes' leftovers are not this test's). */
    private Set<Long> childrenBefore = Set.of();

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("powerhose-test-");
        previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> uncaught.add(error));
        ownerViolationsBefore = SocketOwners.violations().size();
        childrenBefore = descendantPids();
    }

    private static Set<Long> descendantPids() {
        return ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        boolean failed = context.getExecutionException().isPresent();
        List<String> problems = new ArrayList<>();
        List<String> alive = new ArrayList<>();
        for (ManagedProcess process : reversed(processes)) {
            process.stop();
            if (process.isAlive()) {
                alive.add(process.name + " (pid " + process.pid() + ") could not be ended");
            }
        }
        for (AutoCloseable closeable : reversed(closeables)) {
            try {
                closeable.close();
            } catch (Exception e) {
                problems.add("closing " + closeable + ": " + e);
            }
        }
        closeables.clear();
        alive.addAll(endLeftovers());
        List<String> violations = SocketOwners.violations();
        for (String violation : violations.subList(ownerViolationsBefore, violations.size())) {
            problems.add("a socket was touched by a thread that does not own it: " + violation);
        }
        for (ManagedProcess process : processes) {
            if (process.log().contains(OWNER_VIOLATION)) {
                problems.add(process.name + " touched a socket from a thread that does not own it:\n" + process.log());
            }
        }
        if (failed || !alive.isEmpty()) {
            for (ManagedProcess process : processes) {
                System.err.println("----- log of " + process.name + " (pid " + process.pid() + ") -----");
                System.err.println(process.log());
            }
        }
        processes.clear();
        Thread.setDefaultUncaughtExceptionHandler(previousHandler);
        deleteRecursively(dir);
        if (!alive.isEmpty()) {
            problems.add("processes still alive after the test: " + alive);
        }
        for (Throwable error : uncaught) {
            problems.add("uncaught exception in a thread: " + error);
        }
        uncaught.clear();
        if (!problems.isEmpty() && !failed) {
            throw new AssertionError(String.join("\n", problems));
        }
    }

    /**
     * Processes this JVM started during the test that outlive its clean-up (the ones the fixture started are
     * ended by then; these are the ones started by the code under test, e.g. a {@code Cluster}'s workers, whose
     * {@code close()} must have ended them). Each gets 10 s to end by itself, then is killed by its pid.
     *
     * @return one line per leftover
     */
    private List<String> endLeftovers() {
        long untilNs = System.nanoTime() + 10_000_000_000L;
        List<ProcessHandle> left;
        do {
            left = ProcessHandle.current().descendants().filter(p -> !childrenBefore.contains(p.pid()))
                .filter(ProcessHandle::isAlive).toList();
            if (left.isEmpty()) {
                return List.of();
            }
            LockSupport.parkNanos(50_000_000L);
        } while (System.nanoTime() - untilNs < 0);
        List<String> lines = new ArrayList<>();
        for (ProcessHandle process : left) {
            lines.add("pid " + process.pid() + " (" + process.info().commandLine().orElse("?") + ") left running");
            process.destroyForcibly();
        }
        return lines;
    }

    /** @return the test's temp dir */
    public Path dir() {
        return dir;
    }

    /** @return this test's frontend endpoint */
    public String frontend() {
        return "ipc://" + dir.resolve("front.ipc");
    }

    /** @return this test's backend endpoint */
    public String backend() {
        return "ipc://" + dir.resolve("back.ipc");
    }

    /** @return this test's heartbeat endpoint */
    public String heartbeat() {
        return "ipc://" + dir.resolve("beat.ipc");
    }

    /** @return broker options on this test's endpoints */
    public BrokerOptions.Builder brokerOptions() {
        return BrokerOptions.builder().frontend(frontend()).backend(backend()).heartbeat(heartbeat());
    }

    /**
     * Starts an in-process broker on this test's endpoints.
     *
     * @return the broker
     */
    public Broker startBroker() {
        return startBroker(brokerOptions().build());
    }

    /**
     * Starts an in-process broker.
     *
     * @param options its settings
     * @return the broker
     */
    public Broker startBroker(BrokerOptions options) {
        broker = Broker.start(options);
        closeables.add(broker);
        return broker;
    }

    /**
     * Starts a broker ({@link BrokerProcess}) in a child JVM on this test's endpoints and waits until it answers PING.
     *
     * @param extraArgs more arguments ({@code --frontend}, {@code --backend} and {@code --heartbeat} are given)
     * @return the process
     */
    public ManagedProcess startBrokerProcess(String... extraArgs) {
        return startBrokerProcess(jvmOptions(), extraArgs);
    }

    /**
     * Starts a broker ({@link BrokerProcess}) in a child JVM with these JVM options and waits until it answers PING.
     *
     * @param jvmOptions the JVM's options (heap size, ...)
     * @param extraArgs more arguments ({@code --frontend}, {@code --backend} and {@code --heartbeat} are given)
     * @return the process
     */
    public ManagedProcess startBrokerProcess(List<String> jvmOptions, String... extraArgs) {
        return startBrokerMain(BrokerProcess.class.getName(), jvmOptions, extraArgs);
    }

    /**
     * Starts the {@code powerhose-broker} command in a child JVM and waits until it answers PING. Only for the
     * commands module's tests: the command is not on core's class path.
     *
     * @param jvmOptions the JVM's options (heap size, ...)
     * @param extraArgs more {@code powerhose-broker} arguments
     * @return the process
     */
    public ManagedProcess startBrokerCommand(List<String> jvmOptions, String... extraArgs) {
        return startBrokerMain("io.powerhose.cli.BrokerCommand", jvmOptions, extraArgs);
    }

    private ManagedProcess startBrokerMain(String mainClass, List<String> jvmOptions, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--frontend", frontend(), "--backend", backend(),
            "--heartbeat", heartbeat()));
        args.addAll(Arrays.asList(extraArgs));
        ManagedProcess process = start("broker", JavaCommand.of(mainClass, jvmOptions, args));
        await(() -> Probe.ping(frontend(), Duration.ofMillis(200)) == process.pid(), Duration.ofSeconds(20),
            () -> "broker process did not answer PING:\n" + process.log());
        return process;
    }

    /**
     * Starts a broker ({@link BrokerProcess}) in a child JVM on {@code tcp://127.0.0.1:*} (ports chosen by the system
     * as the broker binds) and waits until it answers PING.
     *
     * @param probe how to secure the PING (the broker's own key pair works with a CURVE broker)
     * @param extraArgs more arguments (security options)
     * @return the process and its endpoints as bound
     */
    public TcpBroker startTcpBrokerProcess(Security probe, String... extraArgs) {
        Path endpointsFile = dir.resolve("endpoints-" + (processCount + 1) + ".txt");
        List<String> args = new ArrayList<>(List.of("--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*",
            "--heartbeat", "tcp://127.0.0.1:*", "--endpoints-file", endpointsFile.toString()));
        args.addAll(Arrays.asList(extraArgs));
        ManagedProcess process = start("broker", JavaCommand.of(BrokerProcess.class.getName(), jvmOptions(), args));
        await(() -> Files.exists(endpointsFile) || !process.isAlive(), Duration.ofSeconds(20),
            () -> "broker process did not write its endpoints:\n" + process.log());
        if (!process.isAlive()) {
            throw new AssertionError("broker process exited " + process.process().exitValue() + ":\n" + process.log());
        }
        List<String> endpoints;
        try {
            endpoints = Files.readAllLines(endpointsFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TcpBroker broker = new TcpBroker(process, endpoints.get(0), endpoints.get(1), endpoints.get(2));
        await(() -> Probe.ping(broker.frontend(), Duration.ofMillis(500), probe) == process.pid(),
            Duration.ofSeconds(20), () -> "broker process did not answer PING on " + broker.frontend() + ":\n"
                + process.log());
        return broker;
    }

    /**
     * A broker process on tcp and the endpoints it bound.
     *
     * @param process the process
     * @param frontend its frontend
     * @param backend its backend
     * @param heartbeat its heartbeat endpoint
     */
    public record TcpBroker(ManagedProcess process, String frontend, String backend, String heartbeat) {
    }

    /**
     * Starts a Java worker process on this test's endpoints.
     *
     * @param target the worker's target
     * @param extraArgs more {@code powerhose-worker} arguments
     * @return the process
     */
    public ManagedProcess startJavaWorker(String target, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--backend", backend(), "--heartbeat", heartbeat()));
        args.addAll(Arrays.asList(extraArgs));
        args.add(target);
        return start("java-worker", JavaCommand.of(WorkerMain.class.getName(), jvmOptions(), args));
    }

    /**
     * Starts any process with its output going to a log file in the temp dir.
     *
     * @param name a short name for logs
     * @param command the command line
     * @return the process
     */
    public ManagedProcess start(String name, List<String> command) {
        return start(name, command, false);
    }

    /**
     * Starts any process with its stdout and stderr going to two files in the temp dir, read back by
     * {@link ManagedProcess#stdout()} and {@link ManagedProcess#stderr()} ({@link ManagedProcess#log()} gives both).
     *
     * @param name a short name for logs
     * @param command the command line
     * @return the process
     */
    public ManagedProcess startWithStderrApart(String name, List<String> command) {
        return start(name, command, true);
    }

    private ManagedProcess start(String name, List<String> command, boolean stderrApart) {
        String unique = name + "-" + (++processCount);
        Path log = dir.resolve(unique + ".log");
        Path err = stderrApart ? dir.resolve(unique + ".err") : null;
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(log.toFile());
            if (err == null) {
                builder.redirectErrorStream(true);
            } else {
                builder.redirectError(err.toFile());
            }
            ManagedProcess managed = new ManagedProcess(unique, builder.start(), log, err);
            processes.add(managed);
            return managed;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /**
     * Creates a client of this test's frontend, closed after the test.
     *
     * @param options settings; the frontend is set to this test's
     * @return the client
     */
    public Client client(ClientOptions.Builder options) {
        Client client = new Client(options.frontend(frontend()).build());
        closeables.add(client);
        return client;
    }

    /** @return a client of this test's frontend with the default timeouts */
    public Client client() {
        return client(ClientOptions.builder());
    }

    /**
     * Registers something to close after the test (before processes are stopped).
     *
     * @param closeable the thing
     * @param <T> its type
     * @return it
     */
    public <T extends AutoCloseable> T closeAfter(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    /**
     * Waits until the broker reports a number of registered workers.
     *
     * @param count the number
     */
    public void awaitWorkers(int count) {
        await(() -> workerCount() == count, Duration.ofSeconds(30),
            () -> "expected " + count + " workers, broker status:\n" + Probe.status(frontend(), Duration.ofSeconds(1))
                + "\nprocesses:\n" + logs());
    }

    /** @return the broker's registered worker count, or -1 when it does not answer */
    public int workerCount() {
        String status = Probe.status(frontend(), Duration.ofSeconds(1));
        return status == null ? -1 : Integer.parseInt(value(status, "workers"));
    }

    /**
     * Reads a value from a STATUS text.
     *
     * @param status the text
     * @param key the key
     * @return the value
     */
    public static String value(String status, String key) {
        return status.lines().filter(line -> line.startsWith(key + "=")).map(line -> line.substring(key.length() + 1))
            .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in status:\n" + status));
    }

    /** @return all process logs, for failure messages */
    public String logs() {
        StringBuilder out = new StringBuilder();
        for (ManagedProcess process : processes) {
            out.append("--- ").append(process.name).append(" (pid ").append(process.pid()).append(")\n")
                .append(process.log()).append('\n');
        }
        return out.toString();
    }

    /**
     * Polls a condition until it holds or the timeout passes.
     *
     * @param condition the condition
     * @param timeout the longest wait
     * @param message what to say on failure
     */
    public static void await(BooleanSupplier condition, Duration timeout, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not met within " + Durations.text(timeout) + ": " + message.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    private static List<String> jvmOptions() {
        return List.of("-ea", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx256m");
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> copy = new ArrayList<>(list);
        java.util.Collections.reverse(copy);
        return copy;
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** A process started by the test, ended by its own handle. */
    public static final class ManagedProcess {
        private final String name;
        private final Process process;
        private final Path log;
        private final Path err;

        ManagedProcess(String name, Process process, Path log, Path err) {
            this.name = name;
            this.process = process;
            this.log = log;
            this.err = err;
        }

        /** @return the pid */
        public long pid() {
            return process.pid();
        }

        /** @return whether it still runs */
        public boolean isAlive() {
            return process.isAlive();
        }

        /** @return the process handle */
        public Process process() {
            return process;
        }

        /** @return the file its standard output goes to (with stderr, unless started with stderr apart) */
        public Path logFile() {
            return log;
        }

        /** @return its output so far (stdout, then stderr when it was kept apart) */
        public String log() {
            return err == null ? read(log) : read(log) + (read(err).isEmpty() ? "" : "--- stderr:\n" + read(err));
        }

        /** @return its standard output so far (with stderr too, unless started with stderr apart) */
        public String stdout() {
            return read(log);
        }

        /** @return its standard error so far, when started with stderr apart; else "" */
        public String stderr() {
            return err == null ? "" : read(err);
        }

        private static String read(Path file) {
            try {
                return Files.exists(file) ? Files.readString(file) : "";
            } catch (IOException e) {
                return "(cannot read " + file + ": " + e + ")";
            }
        }

        /** Kills it with SIGKILL and waits for it. */
        public void kill() {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(10));
        }

        /** Sends SIGTERM (a polite stop) without waiting. */
        public void terminate() {
            process.destroy();
        }

        /**
         * Waits for it to end.
         *
         * @param timeout the longest wait
         * @return its exit code
         */
        public int waitFor(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    throw new AssertionError(name + " (pid " + pid() + ") still runs after " + timeout + "\n" + log());
                }
                return process.exitValue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }

        void stop() {
            if (!process.isAlive()) {
                return;
            }
            process.destroy();
            try {
                if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
