package io.powerhose;

import io.powerhose.internal.process.Hostname;
import io.powerhose.testing.ClusterProcess;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Workers in C ({@code native/build}) and Python ({@code examples/python}) behind a real broker, with Java clients
 * and a Powerhose 0.x Python client: results, failures, a mixed pool, and a worker killed or crashing mid-job.
 * Needs {@code native/} built (the Maven build does it before core) and Debian's {@code python3-zmq}.
 */
@Timeout(120)
class CrossLanguageTest {
    /** Surefire runs in core/: the C workers and the Python examples are next to it. */
    private static final Path NATIVE_BUILD = Path.of("..", "native", "build").toAbsolutePath().normalize();
    private static final Path PYTHON_EXAMPLES = Path.of("..", "examples", "python").toAbsolutePath().normalize();
    /** Debian's Python, which has pyzmq (the {@code python3} on PATH may not). */
    private static final String PYTHON = "/usr/bin/python3";
    /** The sign worker's cost per round is about 5 us here: 1,000,000 rounds take about 5 s. */
    private static final String SLOW_SIGN_ROUNDS = "1000000";
    /** docs/WORKERS.md's test vector: sign("hello", rounds 3). */
    private static final String SIGN_HELLO_3 = "41753800510255fa9befff6e602065e0be25eaf7ff7255b17df3e34f18ad992a";
    private static final Duration LONG = Duration.ofSeconds(20);

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @BeforeAll
    static void nativeWorkersAndPythonAreThere() throws Exception {
        for (String name : List.of("echo", "square", "sign")) {
            Path binary = cWorker(name);
            assertTrue(Files.isRegularFile(binary) && Files.isExecutable(binary), binary + " is missing: build native/ "
                + "first (`make -C native`, or `mvn -pl native,core test ...`, which builds it before core)");
        }
        for (String script : List.of("worker.py", "echo.py", "legacy_client.py")) {
            assertTrue(Files.isRegularFile(PYTHON_EXAMPLES.resolve(script)), PYTHON_EXAMPLES.resolve(script) + " is missing");
        }
        assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is missing: install Debian's python3 and python3-zmq");
        Process probe = new ProcessBuilder(PYTHON, "-c", "import zmq").redirectErrorStream(true).start();
        assertTrue(probe.waitFor(30, TimeUnit.SECONDS), "python3 -c 'import zmq' did not finish");
        assertEquals(0, probe.exitValue(), PYTHON + " cannot import zmq: install Debian's python3-zmq\n"
            + new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------------------------------ one worker each

    @Test
    void cEchoWorkerReturnsTextBinaryAndEmptyDataUnchanged() {
        cluster.startBroker();
        ManagedProcess worker = startCWorker("echo");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        assertEquals("test", client.execute("test"));
        byte[] binary = {0, ':', ':', ':', (byte) 0xff, '\\', 'N', 'O', 'N', 'E'};
        assertArrayEquals(binary, client.execute(binary));
        assertArrayEquals(new byte[0], client.execute(new byte[0]));
        assertEquals("données ✓", new String(client.execute(new Job("données ✓", Map.of("h:1", "v\\", "NONE", ""))),
            StandardCharsets.UTF_8), "headers do not leak into the data");
        JobResult result = client.executeForResult(new Job("who"), LONG);
        assertEquals(worker.pid(), result.workerPid());
        assertTrue(TestCluster.value(client.status(Duration.ofSeconds(1)).orElseThrow(), "worker." + worker.pid())
            .startsWith("label:c@" + Hostname.get() + ",capacity:1"), "READY carries the label c@host and capacity 1");
    }

    @Test
    void cSquareWorkerSquaresNumbersAndAnswersTextWithAnErrorAndCarriesOn() {
        cluster.startBroker();
        ManagedProcess worker = startCWorker("square");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        assertEquals("16", client.execute("4"));
        assertEquals("9", client.execute("-3"));
        assertEquals("2.25", client.execute("1.5"));
        String big = "123456789012345678901234567890";
        assertEquals(new BigInteger(big).pow(2).toString(), client.execute(big), "integers are squared exactly");
        JobFailedException e = assertThrows(JobFailedException.class, () -> client.execute("not a number"));
        assertEquals("not a number: not a number", e.remoteMessage());
        assertEquals(worker.pid(), e.workerPid());
        assertEquals("25", client.execute("5"), "the worker carries on after an ERROR");
    }

    @Test
    void pythonEchoWorkerReturnsTheDataUnchanged() {
        cluster.startBroker();
        ManagedProcess worker = startPythonWorker("echo.echo");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        assertEquals("test", client.execute("test"));
        byte[] binary = {0, ':', ':', ':', (byte) 0xff, (byte) 0x80};
        assertArrayEquals(binary, client.execute(new Job(binary, Map.of("k", "v:1"))));
        assertEquals(worker.pid(), client.executeForResult(new Job("x"), LONG).workerPid());
        assertTrue(TestCluster.value(client.status(Duration.ofSeconds(1)).orElseThrow(), "worker." + worker.pid())
            .startsWith("label:python@" + Hostname.get() + ",capacity:1"),
            "READY carries the label python@host and capacity 1");
        worker.terminate();
        assertEquals(0, worker.waitFor(Duration.ofSeconds(10)), "SIGTERM is a normal end");
        cluster.awaitWorkers(0);
    }

    @Test
    void pythonSquareWorkerSquaresNumbersAndRaisesValueErrorOnText() {
        cluster.startBroker();
        ManagedProcess worker = startPythonWorker("echo.square");
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        assertEquals("16", client.execute("4"));
        assertEquals("9", client.execute("-3"));
        assertEquals("2.25", client.execute("1.5"));
        JobFailedException e = assertThrows(JobFailedException.class, () -> client.execute("not a number"));
        assertEquals("ValueError", e.remoteType());
        assertEquals("not a number: not a number", e.remoteMessage());
        assertEquals(worker.pid(), e.workerPid());
        assertEquals("25", client.execute("5"), "the worker carries on after an ERROR");
    }

    // ------------------------------------------------------------------------------------------ a mixed pool

    @Test
    void mixedPoolOfJavaCAndPythonWorkersAnswersFiveThousandJobsEachWithItsOwnResult() throws Exception {
        cluster.startBroker();
        Map<Long, String> kindByPid = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            kindByPid.put(cluster.startJavaWorker("io.powerhose.testing.EchoHandler").pid(), "java");
            kindByPid.put(startCWorker("echo").pid(), "c");
        }
        kindByPid.put(startPythonWorker("echo.echo").pid(), "python");
        cluster.awaitWorkers(5);
        String status = cluster.client().status(Duration.ofSeconds(1)).orElseThrow();
        for (Map.Entry<Long, String> worker : kindByPid.entrySet()) {
            assertTrue(TestCluster.value(status, "worker." + worker.getKey()).startsWith("label:" + worker.getValue() + "@" + Hostname.get() + ","),
                status);
        }

        Client client = cluster.client();
        int threads = 4;
        int perThread = 1_250;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        Map<Long, Integer> jobsByPid = new TreeMap<>();
        try {
            List<Future<Map<Long, Integer>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    List<byte[]> sent = new ArrayList<>(perThread);
                    List<CompletableFuture<JobResult>> calls = new ArrayList<>(perThread);
                    for (int i = 0; i < perThread; i++) {
                        // Unique per job, and with bytes a text-only codec would mangle.
                        byte[] data = ("job-" + thread + "-" + i + ":::\0\u00e9").getBytes(StandardCharsets.UTF_8);
                        sent.add(data);
                        calls.add(client.submitForResult(new Job(data), Duration.ofSeconds(30)));
                    }
                    Map<Long, Integer> byPid = new HashMap<>();
                    for (int i = 0; i < perThread; i++) {
                        JobResult result = calls.get(i).get();
                        assertArrayEquals(sent.get(i), result.data(), "job " + thread + "-" + i + " got its own result");
                        byPid.merge(result.workerPid(), 1, Integer::sum);
                    }
                    return byPid;
                }));
            }
            for (Future<Map<Long, Integer>> result : results) {
                result.get().forEach((pid, count) -> jobsByPid.merge(pid, count, Integer::sum));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(threads * perThread, jobsByPid.values().stream().mapToInt(Integer::intValue).sum());
        Map<String, Integer> jobsByKind = new TreeMap<>();
        for (Map.Entry<Long, Integer> entry : jobsByPid.entrySet()) {
            String kind = kindByPid.get(entry.getKey());
            assertTrue(kind != null, "a result from pid " + entry.getKey() + ", not one of ours: " + kindByPid);
            jobsByKind.merge(kind, entry.getValue(), Integer::sum);
        }
        System.out.println("mixed pool: jobs by kind " + jobsByKind + ", by pid " + jobsByPid);
        assertEquals(List.of("c", "java", "python"), List.copyOf(jobsByKind.keySet()),
            "every kind of worker took jobs: " + jobsByKind + ", by pid " + jobsByPid);
        String after = client.status(Duration.ofSeconds(1)).orElseThrow();
        assertEquals(Integer.toString(threads * perThread), TestCluster.value(after, "jobs_ok"), after);
        assertEquals("0", TestCluster.value(after, "in_flight"), after);
        assertEquals("0", TestCluster.value(after, "workers_lost"), after);
    }

    // ------------------------------------------------------------------------------------------ isolation

    @Test
    void cWorkerKilledMidJobFailsTheCallQuicklyAndTheClusterRespawnsIt() {
        Cluster workers = cluster.closeAfter(Cluster.start(ClusterOptions.builderForCommand(
                List.of(cWorker("sign").toString()))
            .broker(cluster.brokerOptions().build())
            .numProcesses(1)
            .timeout(Duration.ofSeconds(60))
            .logfile(cluster.dir().resolve("cluster.log").toString())
            .background(true)
            .build()));
        long first = workers.workers().get(0).pid();
        Client client = cluster.client();
        JobResult signed = client.executeForResult(new Job("hello", Map.of("rounds", "3")), LONG);
        assertEquals(SIGN_HELLO_3, signed.dataAsString());
        assertEquals(first, signed.workerPid());

        CompletableFuture<JobResult> slow = client.submitForResult(
            new Job("hello", Map.of("rounds", SLOW_SIGN_ROUNDS)), Duration.ofSeconds(30));
        awaitInFlight(client, 1);
        long killedAt = System.nanoTime();
        assertTrue(ProcessHandle.of(first).orElseThrow().destroyForcibly(), "SIGKILL sent to " + first);
        WorkerLostException lost = assertInstanceOf(WorkerLostException.class, failureOf(slow));
        long afterMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertEquals(first, lost.workerPid());
        assertTrue(afterMs < 4_500, "worker lost reported " + afterMs + " ms after the kill (liveness is 3 s)");

        TestCluster.await(() -> workers.workers().stream().anyMatch(w -> w.state() == WorkerInfo.State.RUNNING
            && w.pid() != first && w.restarts() == 1), LONG, () -> "not respawned: " + workers.workers());
        workers.awaitWorkers(1, LONG);
        long second = workers.workers().get(0).pid();
        assertNotEquals(first, second);
        JobResult again = client.executeForResult(new Job("hello", Map.of("rounds", "3")), LONG);
        assertEquals(SIGN_HELLO_3, again.dataAsString());
        assertEquals(second, again.workerPid(), "the respawned worker answers");
    }

    @Test
    void cWorkersUnderAClusterFinishTheirJobAndStopPromptly() {
        Cluster workers = cluster.closeAfter(Cluster.start(ClusterOptions.builderForCommand(
                List.of(cWorker("sign").toString()))
            .broker(cluster.brokerOptions().build())
            .numProcesses(2)
            .logfile(cluster.dir().resolve("cluster.log").toString())
            .background(true)
            .build()));
        List<ProcessHandle> processes = workers.workers().stream()
            .map(w -> ProcessHandle.of(w.pid()).orElseThrow()).toList();
        Client client = cluster.client();
        // About half a second of signing, running when the stop begins.
        CompletableFuture<JobResult> running = client.submitForResult(new Job("hello", Map.of("rounds", "100000")), LONG);
        CompletableFuture<Long> answeredAt = running.thenApply(result -> System.nanoTime());
        awaitInFlight(client, 1);
        long stoppingAt = System.nanoTime();
        workers.stop();
        long stoppedAt = System.nanoTime();
        JobResult result = running.join();
        assertEquals(64, result.dataAsString().length(), "the running job finished: " + result.dataAsString());
        processes.forEach(p -> assertFalse(p.isAlive(), "worker " + p.pid() + " left behind"));
        assertTrue(workers.workers().isEmpty());
        // A C worker leaving waits up to 5 s for the broker's DISCONNECT answer: the broker must still be there to
        // give it, so that the stop ends soon after the last job, however long that job took on a busy machine.
        long afterJobMs = (stoppedAt - Math.max(stoppingAt, answeredAt.join())) / 1_000_000;
        assertTrue(afterJobMs < 4_000, "stop ended " + afterJobMs + " ms after the last job ("
            + (stoppedAt - stoppingAt) / 1_000_000 + " ms in all)");
    }

    @Test
    void cWorkerSegfaultingOnAnInputFailsOnlyThatCallAndTheOtherWorkerCarriesOn() {
        Broker broker = cluster.startBroker();
        ManagedProcess one = startCWorker("echo");
        ManagedProcess two = startCWorker("echo");
        cluster.awaitWorkers(2);
        Client client = cluster.client();

        long sentAt = System.nanoTime();
        WorkerLostException lost = assertThrows(WorkerLostException.class, () -> client.execute("crash", LONG));
        long afterMs = (System.nanoTime() - sentAt) / 1_000_000;
        assertTrue(afterMs < 4_500, "worker lost reported after " + afterMs + " ms (liveness is 3 s)");
        ManagedProcess crashed = lost.workerPid() == one.pid() ? one : two;
        ManagedProcess survivor = crashed == one ? two : one;
        assertEquals(crashed.pid(), lost.workerPid(), "the lost worker is one of ours");
        assertEquals(128 + 11, crashed.waitFor(Duration.ofSeconds(5)), "the C worker died of SIGSEGV");
        assertTrue(survivor.isAlive());

        // This JVM, which runs the broker and the client, is untouched; the next calls all succeed.
        assertEquals(ProcessHandle.current().pid(), client.ping(Duration.ofSeconds(1)).orElseThrow());
        assertEquals(ProcessHandle.current().pid(), broker.pid());
        for (int i = 0; i < 20; i++) {
            JobResult result = client.executeForResult(new Job("after-" + i), LONG);
            assertEquals("after-" + i, result.dataAsString());
            assertEquals(survivor.pid(), result.workerPid());
        }
        cluster.awaitWorkers(1);
        String status = client.status(Duration.ofSeconds(1)).orElseThrow();
        assertEquals("1", TestCluster.value(status, "workers_lost"), status);
    }

    // ------------------------------------------------------------------------------------------ 0.x client

    @Test
    void powerhose0xPythonReqClientGetsPidOkResultFromACWorker() {
        cluster.startBroker();
        ManagedProcess worker = startCWorker("square");
        cluster.awaitWorkers(1);

        // The script as a user runs it: one result per line.
        ManagedProcess script = cluster.start("legacy-client", List.of(PYTHON,
            PYTHON_EXAMPLES.resolve("legacy_client.py").toString(), "--frontend", cluster.frontend(), "--timeout", "20",
            "4", "12"));
        assertEquals(0, script.waitFor(LONG), script.log());
        assertEquals("16\n144\n", script.log());

        // Its call(), showing the raw 0.x replies: "<pid>:OK:<result>" and "<pid>:ERROR:<text>".
        String raw = String.join("\n",
            "import sys, zmq",
            "sys.path.insert(0, sys.argv[1])",
            "import legacy_client",
            "ctx = zmq.Context()",
            "sock = ctx.socket(zmq.REQ)",
            "sock.linger = 0",
            "sock.connect(sys.argv[2])",
            "for data in sys.argv[3:]:",
            "    print(b':'.join(legacy_client.call(sock, data.encode(), 20)).decode())",
            "sock.close()",
            "ctx.term()");
        ManagedProcess calls = cluster.start("legacy-calls", List.of(PYTHON, "-c", raw, PYTHON_EXAMPLES.toString(),
            cluster.frontend(), "4", "not a number", "7"));
        assertEquals(0, calls.waitFor(LONG), calls.log());
        assertEquals(List.of(worker.pid() + ":OK:16", worker.pid() + ":ERROR:not a number: not a number",
            worker.pid() + ":OK:49"), calls.log().lines().toList());
    }

    // ------------------------------------------------------------------------------------------ helpers

    @Test
    void clusterRunsCWorkersGivenAsACommandLine() {
        ManagedProcess owner = startClusterProcess("--worker-command", cWorker("square").toString());
        List<ProcessHandle> workers = owner.process().children().toList();
        assertEquals(2, workers.size(), "two C worker processes");
        assertTrue(workers.stream().allMatch(w -> w.info().command().orElse("").endsWith("powerhose-worker-square")),
            "the command line given");
        assertEquals("144", cluster.client().execute("12"));
        owner.terminate();
        owner.waitFor(LONG);
        workers.forEach(w -> assertFalse(w.isAlive(), "C worker " + w.pid() + " left behind"));
    }

    /**
     * The parent watch: whatever their language, the workers of a cluster whose process is SIGKILLed (no shutdown
     * hook runs, nobody stops them) leave on their own within a few seconds. Before it, C workers stayed about
     * 30 s (until their beat check gave up) and Python workers as long.
     */
    @ParameterizedTest
    @ValueSource(strings = {"java", "c", "python"})
    void workersOfEveryKindLeaveWhenTheClusterProcessIsKilled(String kind) throws Exception {
        ManagedProcess owner = switch (kind) {
            case "java" -> startClusterProcess("io.powerhose.testing.EchoHandler");
            case "c" -> startClusterProcess("--worker-command", cWorker("echo").toString());
            default -> startClusterProcess("--worker-command", PYTHON + " "
                + PYTHON_EXAMPLES.resolve("worker.py") + " echo.echo");
        };
        List<ProcessHandle> workers = owner.process().children().toList();
        assertEquals(2, workers.size(), "two " + kind + " workers: " + owner.log());
        assertEquals("before", cluster.client().execute("before"));
        try {
            owner.kill();
            long killedNs = System.nanoTime();
            for (ProcessHandle worker : workers) {
                worker.onExit().get(10, TimeUnit.SECONDS);
            }
            long leftMs = (System.nanoTime() - killedNs) / 1_000_000;
            assertTrue(leftMs < 5_000, kind + " workers left " + leftMs + " ms after their cluster was killed");
        } catch (java.util.concurrent.TimeoutException e) {
            fail(kind + " workers still run 10 s after their cluster was killed: "
                + workers.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList());
        } finally {
            workers.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** A cluster of two workers in a process of its own, its broker on this test's endpoints, up and registered. */
    private ManagedProcess startClusterProcess(String... workerArgs) {
        List<String> args = new ArrayList<>(List.of("--frontend", cluster.frontend(), "--backend", cluster.backend(),
            "--heartbeat", cluster.heartbeat(), "--numprocesses", "2"));
        args.addAll(Arrays.asList(workerArgs));
        ManagedProcess owner = cluster.start("cluster", io.powerhose.internal.process.JavaCommand.of(
            ClusterProcess.class.getName(), List.of("-XX:TieredStopAtLevel=1"), args));
        TestCluster.await(() -> owner.log().contains("cluster up"), LONG, owner::log);
        return owner;
    }

    private static Path cWorker(String name) {
        return NATIVE_BUILD.resolve("powerhose-worker-" + name);
    }

    private ManagedProcess startCWorker(String name, String... extraArgs) {
        List<String> command = new ArrayList<>(List.of(cWorker(name).toString(), "--backend", cluster.backend(),
            "--heartbeat", cluster.heartbeat()));
        command.addAll(Arrays.asList(extraArgs));
        return cluster.start("c-" + name, command);
    }

    /** The worker imports the module from its script's directory, examples/python. */
    private ManagedProcess startPythonWorker(String target) {
        return cluster.start("python-" + target, List.of(PYTHON, PYTHON_EXAMPLES.resolve("worker.py").toString(),
            target, "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat()));
    }

    private static void awaitInFlight(Client client, int count) {
        TestCluster.await(() -> Integer.toString(count).equals(
                TestCluster.value(client.status(Duration.ofSeconds(1)).orElse("in_flight=-1"), "in_flight")),
            Duration.ofSeconds(10), () -> "expected " + count + " job(s) in flight: " + client.status(Duration.ofSeconds(1)));
    }

    private static Throwable failureOf(CompletableFuture<?> call) {
        try {
            Object result = call.get(30, TimeUnit.SECONDS);
            return fail("expected a failure, got " + result);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }
}
