package io.powerhose.cli;

import io.powerhose.Broker;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test (at least) per row of the exit-code table in docs/OPERATIONS.md, with the commands run as processes;
 * stdout and stderr are read apart, so that a command's answer is exactly what it prints on stdout.
 */
@Timeout(120)
class ExitCodesTest {
    private static final String BROKER = BrokerCommand.class.getName();
    private static final String CLIENT = ClientCommand.class.getName();
    private static final String CLUSTER = ClusterCommand.class.getName();
    private static final String STATUS = StatusCommand.class.getName();
    private static final String WORKER = WorkerCommand.class.getName();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private ManagedProcess command(List<String> jvmOptions, String main, String... args) {
        List<String> jvm = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        jvm.addAll(jvmOptions);
        return cluster.startWithStderrApart(main.substring(main.lastIndexOf('.') + 1),
            JavaCommand.of(main, jvm, Arrays.asList(args)));
    }

    private ManagedProcess command(String main, String... args) {
        return command(List.of(), main, args);
    }

    private int exit(ManagedProcess process) {
        return process.waitFor(WAIT);
    }

    // ---------------------------------------------------------------------------------------------- 0

    /** No JDK warning (JDK 24+: "restricted method", without --enable-native-access) and no log line on stdout. */
    @Test
    void row0ClientPrintsExactlyTheAnswerOnStdoutAndNothingOnStderr() {
        cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.TestTargets::echo");
        cluster.awaitWorkers(1);
        ManagedProcess client = command(CLIENT, "--frontend", cluster.frontend(), "hello");
        assertEquals(ExitCodes.OK, exit(client), client.log());
        assertEquals("hello\n", client.stdout());
        assertEquals("", client.stderr());
        ManagedProcess check = command(BROKER, "--frontend", cluster.frontend(), "--check");
        assertEquals(ExitCodes.OK, exit(check), check.log());
        assertEquals("A broker is running. PID: " + ProcessHandle.current().pid() + "\n", check.stdout());
        assertEquals("", check.stderr());
    }

    // ---------------------------------------------------------------------------------------------- 1

    @Test
    void row1NoBrokerAnswersTheCheckThePingOrTheStatus() {
        ManagedProcess check = command(BROKER, "--frontend", cluster.frontend(), "--check");
        assertEquals(ExitCodes.FAILED, exit(check), check.log());
        assertEquals("No broker is running on " + cluster.frontend() + ".\n", check.stdout());
        ManagedProcess ping = command(CLIENT, "--frontend", cluster.frontend(), "--ping", "--timeout", "0.5");
        assertEquals(ExitCodes.FAILED, exit(ping), ping.log());
        assertEquals("powerhose-client: no broker answered on " + cluster.frontend() + "\n", ping.stderr());
        ManagedProcess status = command(STATUS, "--frontend", cluster.frontend(), "--timeout", "0.5");
        assertEquals(ExitCodes.FAILED, exit(status), status.log());
        assertEquals("powerhose-status: no broker answered on " + cluster.frontend() + " within 500 ms\n",
            status.stderr());
    }

    // ---------------------------------------------------------------------------------------------- 2

    @ParameterizedTest
    @ValueSource(strings = {"powerhose", "powerhose-broker", "powerhose-worker", "powerhose-client",
        "powerhose-status"})
    void row2AnUnknownOptionIsAUsageError(String name) {
        String main = switch (name) {
            case "powerhose" -> CLUSTER;
            case "powerhose-broker" -> BROKER;
            case "powerhose-worker" -> WORKER;
            case "powerhose-client" -> CLIENT;
            default -> STATUS;
        };
        ManagedProcess process = main.equals(WORKER) ? command(main, "--no-such-option", "io.powerhose.examples.Echo")
            : command(main, "--no-such-option");
        assertEquals(ExitCodes.USAGE, exit(process), process.log());
        assertTrue(process.stderr().startsWith(name + ": Unknown option: '--no-such-option'"), process.log());
        assertEquals("", process.stdout());
    }

    // ---------------------------------------------------------------------------------------------- 3

    /** It was exit 1 with a stack trace from the worker's thread. */
    @Test
    void row3ABadEndpointIsAConfigurationErrorInOneLine() {
        ManagedProcess worker = command(WORKER, "--backend", "nonsense://x", "--heartbeat", cluster.heartbeat(),
            "io.powerhose.examples.Echo");
        assertEquals(ExitCodes.CONFIGURATION, exit(worker), worker.log());
        assertEquals("powerhose-worker: backend=nonsense://x: unknown transport nonsense (tcp, ipc, inproc, ...)\n",
            worker.stderr());
        ManagedProcess client = command(CLIENT, "--frontend", "tcp://127.0.0.1", "x");
        assertEquals(ExitCodes.CONFIGURATION, exit(client), client.log());
        assertEquals("powerhose-client: frontend=tcp://127.0.0.1: expected tcp://HOST:PORT with a port from 1 to "
            + "65535\n", client.stderr());
    }

    /** It was exit 1. */
    @Test
    void row3ABadOptionValueIsAConfigurationError() {
        ManagedProcess client = command(CLIENT, "--frontend", cluster.frontend(), "--timeout", "-1", "x");
        assertEquals(ExitCodes.CONFIGURATION, exit(client), client.log());
        assertEquals("powerhose-client: timeout=-1 s must be positive\n", client.stderr());
    }

    /** It was a JobTimeoutException after the 7.5 s wait (exit 4): libzmq retries an unknown host in silence. */
    @Test
    void row3AnUnknownHostIsAConfigurationErrorAtOnce() {
        long startNs = System.nanoTime();
        ManagedProcess client = command(CLIENT, "--frontend", "tcp://no-such-host.invalid:5555", "x");
        assertEquals(ExitCodes.CONFIGURATION, exit(client), client.log());
        assertEquals("powerhose-client: --frontend tcp://no-such-host.invalid:5555: unknown host "
            + "no-such-host.invalid\n", client.stderr());
        assertTrue(System.nanoTime() - startNs < Duration.ofSeconds(7).toNanos(), "at once, not after the timeout");
    }

    /** It was a broker, worker or cluster that ran on with no log at all. */
    @ParameterizedTest
    @ValueSource(strings = {"powerhose", "powerhose-broker", "powerhose-worker"})
    void row3ALogFileThatCannotBeWrittenIsAConfigurationError(String name) throws Exception {
        Path notADirectory = Files.writeString(cluster.dir().resolve("plain-file"), "x");
        String logfile = notADirectory.resolve("powerhose.log").toString();
        List<String> args = new ArrayList<>(List.of("--logfile", logfile));
        String main = switch (name) {
            case "powerhose" -> CLUSTER;
            case "powerhose-broker" -> BROKER;
            default -> WORKER;
        };
        if (!main.equals(WORKER)) {
            args.addAll(List.of("--frontend", cluster.frontend()));
        }
        args.addAll(List.of("--backend", cluster.backend(), "--heartbeat", cluster.heartbeat()));
        if (!main.equals(BROKER)) {
            args.add("io.powerhose.examples.Echo");
        }
        ManagedProcess process = command(main, args.toArray(String[]::new));
        assertEquals(ExitCodes.CONFIGURATION, exit(process), process.log());
        assertTrue(process.stderr().startsWith(name + ": --logfile " + logfile + ": cannot write it ("),
            process.log());
        assertFalse(Files.exists(cluster.dir().resolve("front.ipc")), "no broker was started");
    }

    /** It waited the 60 s start timeout, then exited 1. */
    @Test
    void row3AWorkerCommandThatCannotBeStartedIsAConfigurationError() {
        ManagedProcess powerhose = command(CLUSTER, "--frontend", cluster.frontend(), "--backend", cluster.backend(),
            "--heartbeat", cluster.heartbeat(), "--worker-command", cluster.dir().resolve("no-such-worker").toString());
        assertEquals(ExitCodes.CONFIGURATION, exit(powerhose), powerhose.log());
        assertTrue(powerhose.stderr().contains("could not be started"), powerhose.log());
        assertFalse(Files.exists(cluster.dir().resolve("front.ipc")), "the broker stopped and removed its files");
    }

    @ParameterizedTest
    @ValueSource(strings = {"powerhose", "powerhose-broker", "powerhose-broker --check", "powerhose-worker",
        "powerhose-client", "powerhose-status"})
    void row3AMissingLibjzmqIsAConfigurationErrorThatSaysWhatToDo(String name) {
        List<String> args = new ArrayList<>();
        String main;
        switch (name) {
            case "powerhose" -> {
                main = CLUSTER;
                args.addAll(List.of("--frontend", cluster.frontend(), "--backend", cluster.backend(), "--heartbeat",
                    cluster.heartbeat(), "io.powerhose.examples.Echo"));
            }
            case "powerhose-broker", "powerhose-broker --check" -> {
                main = BROKER;
                args.addAll(List.of("--frontend", cluster.frontend(), "--backend", cluster.backend(), "--heartbeat",
                    cluster.heartbeat()));
                if (name.endsWith("--check")) {
                    args.add("--check");
                }
            }
            case "powerhose-worker" -> {
                main = WORKER;
                args.addAll(List.of("--backend", cluster.backend(), "--heartbeat", cluster.heartbeat(),
                    "io.powerhose.examples.Echo"));
            }
            case "powerhose-client" -> {
                main = CLIENT;
                args.addAll(List.of("--frontend", cluster.frontend(), "x"));
            }
            default -> {
                main = STATUS;
                args.addAll(List.of("--frontend", cluster.frontend()));
            }
        }
        ManagedProcess process = command(List.of("-Djava.library.path=/nonexistent"), main,
            args.toArray(String[]::new));
        assertEquals(ExitCodes.CONFIGURATION, exit(process), process.log());
        String stderr = process.stderr();
        assertTrue(stderr.contains("libjzmq.so") && (stderr.contains("-Djava.library.path=")
            || stderr.contains("apt-get install libzmq-jni")), process.log());
        assertFalse(stderr.contains("\tat "), "no stack trace: " + stderr);
    }

    // ------------------------------------------------------------------------------------------- 4-7

    @Test
    void row4TheJobTimedOut() {
        cluster.startBroker();
        cluster.startJavaWorker("io.powerhose.testing.TestTargets::sleep");
        cluster.awaitWorkers(1);
        // The client waits its --timeout plus 2.5 s; the job sleeps longer.
        ManagedProcess client = command(CLIENT, "--frontend", cluster.frontend(), "--timeout", "0.2", "5000");
        assertEquals(ExitCodes.TIMEOUT, exit(client), client.log());
        assertTrue(client.stderr().startsWith("powerhose-client: no result within 2.7 s"), client.log());
    }

    @Test
    void rows5And6TheJobFailedOrNoWorker() {
        cluster.startBroker(cluster.brokerOptions().noWorkerGrace(Duration.ofMillis(100)).build());
        ManagedProcess noWorker = command(CLIENT, "--frontend", cluster.frontend(), "x");
        assertEquals(ExitCodes.NO_WORKER, exit(noWorker), noWorker.log());
        cluster.startJavaWorker("io.powerhose.testing.TestTargets::fail");
        cluster.awaitWorkers(1);
        ManagedProcess failed = command(CLIENT, "--frontend", cluster.frontend(), "x");
        assertEquals(ExitCodes.JOB_FAILED, exit(failed), failed.log());
        assertTrue(failed.stderr().contains("boom: x"), failed.log());
        assertEquals("", failed.stdout());
    }

    @Test
    void row7TheWorkerWasLost() {
        Broker broker = cluster.startBroker();
        ManagedProcess worker = cluster.startJavaWorker("io.powerhose.testing.TestTargets::sleep");
        cluster.awaitWorkers(1);
        ManagedProcess client = command(CLIENT, "--frontend", cluster.frontend(), "--timeout", "20", "20000");
        TestCluster.await(() -> "1".equals(TestCluster.value(broker.status(), "in_flight")), WAIT, broker::status);
        worker.kill();
        assertEquals(ExitCodes.UNAVAILABLE, exit(client), client.log());
        assertTrue(client.stderr().startsWith("powerhose-client: "), client.log());
    }

    // ---------------------------------------------------------------------------------------------- 8

    @Test
    void row8ABrokerAlreadyRunsOnTheFrontend() {
        Broker broker = cluster.startBroker();
        ManagedProcess second = command(BROKER, "--frontend", cluster.frontend(), "--backend",
            "ipc://" + cluster.dir().resolve("back2.ipc"), "--heartbeat", "ipc://" + cluster.dir().resolve("beat2.ipc"));
        assertEquals(ExitCodes.DUPLICATE_BROKER, exit(second), second.log());
        assertTrue(second.stderr().contains(Long.toString(broker.pid())), second.log());
    }

    // -------------------------------------------------------------------------------------------- 143

    @Test
    void row143StoppedBySigterm() {
        ManagedProcess broker = command(BROKER, "--frontend", cluster.frontend(), "--backend", cluster.backend(),
            "--heartbeat", cluster.heartbeat());
        TestCluster.await(() -> broker.stdout().contains("broker started"), WAIT, broker::log);
        broker.terminate();
        assertEquals(143, exit(broker), broker.log());
        assertFalse(Files.exists(cluster.dir().resolve("front.ipc")), "its ipc files are removed");
    }
}
