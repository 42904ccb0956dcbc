package io.powerhose;

import io.powerhose.internal.client.Probe;
import io.powerhose.internal.zmq.Security;
import io.powerhose.testing.EchoHandler;
import io.powerhose.testing.Keys;
import io.powerhose.testing.ReverseHandler;
import io.powerhose.testing.TcpRelay;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import io.powerhose.testing.TestCluster.TcpBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CURVE on tcp (127.0.0.1, ports chosen by the broker as it binds), with a real broker process and real Java, C and
 * Python worker processes (issue 14): who is admitted, who is refused and how fast they learn why, what crosses the
 * wire, and what bad key files do. Needs {@code native/} built and Debian's {@code python3-zmq}, as
 * {@link CrossLanguageTest}.
 */
@Timeout(180)
class SecurityTest {
    private static final Path NATIVE_BUILD = Path.of("..", "native", "build").toAbsolutePath().normalize();
    private static final Path PYTHON_EXAMPLES = Path.of("..", "examples", "python").toAbsolutePath().normalize();
    private static final String PYTHON = "/usr/bin/python3";
    private static final Duration LONG = Duration.ofSeconds(30);
    /** A refused call must fail well before its timeout: the handshake result is known in milliseconds. */
    private static final Duration QUICKLY = Duration.ofSeconds(3);

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private Keys keys;
    /** How this test's broker is asked for STATUS: with the broker's own key when it uses CURVE. */
    private Security probe = Security.NONE;

    @BeforeAll
    static void nativeWorkersAndPythonAreThere() throws Exception {
        Path echo = NATIVE_BUILD.resolve("powerhose-worker-echo");
        assertTrue(Files.isExecutable(echo), echo + " is missing: build native/ first (`make -C native`)");
        Process probe = new ProcessBuilder(PYTHON, "-c", "import zmq.auth").redirectErrorStream(true).start();
        assertTrue(probe.waitFor(30, TimeUnit.SECONDS), "python3 -c 'import zmq.auth' did not finish");
        assertEquals(0, probe.exitValue(), PYTHON + " cannot import zmq.auth: install Debian's python3-zmq");
    }

    @BeforeEach
    void makeKeys() {
        keys = new Keys(cluster.dir().resolve("keys"));
        for (String name : List.of("broker", "client", "w-java", "w-c", "w-py", "stranger")) {
            keys.create(name);
        }
    }

    // ------------------------------------------------------------------------------------------ admitted

    @Test
    void allowedJavaCAndPythonWorkersServeAllowedClients() throws Exception {
        TcpBroker broker = startCurveBroker();
        ManagedProcess java = javaWorker(broker, EchoHandler.class.getName(), "w-java");
        ManagedProcess c = cWorker(broker, "w-c");
        ManagedProcess python = pythonWorker(broker, "w-py");
        awaitWorkers(broker, 3);

        try (Client client = new Client(clientOptions(broker, "client").timeout(LONG).timeoutMaxOverflow(LONG)
                .build())) {
            List<CompletableFuture<JobResult>> calls = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                calls.add(client.submitForResult(new Job("job " + i), LONG));
            }
            Map<Long, Integer> jobsByPid = new HashMap<>();
            for (int i = 0; i < calls.size(); i++) {
                JobResult result = calls.get(i).get(60, TimeUnit.SECONDS);
                assertEquals("job " + i, result.dataAsString());
                jobsByPid.merge(result.workerPid(), 1, Integer::sum);
            }
            assertEquals(Set.of(java.pid(), c.pid(), python.pid()), jobsByPid.keySet(),
                "every worker served some of the 300 jobs: " + jobsByPid);
        }
        String status = status(broker);
        assertEquals("curve", TestCluster.value(status, "security"));
        assertEquals("0", TestCluster.value(status, "auth_denied_workers"), status);
        assertEquals("0", TestCluster.value(status, "auth_denied_clients"), status);
        assertTrue(Long.parseLong(TestCluster.value(status, "auth_allowed")) >= 7,
            "three workers (backend and heartbeat each) and a client: " + status);
    }

    // ------------------------------------------------------------------------------------------ refused

    @Test
    void unlistedWorkerKeysClientKeysAndPlainWorkersAreRefusedAndGetNoJob() throws Exception {
        TcpBroker broker = startCurveBroker();
        ManagedProcess allowed = javaWorker(broker, EchoHandler.class.getName(), "w-java");
        awaitWorkers(broker, 1);
        ManagedProcess unlisted = javaWorker(broker, EchoHandler.class.getName(), "stranger");
        ManagedProcess clientKey = cWorker(broker, "client");
        ManagedProcess plain = pythonWorker(broker, null);

        // Each refused worker learns why, in its own log, in words that say what to change.
        TestCluster.await(() -> unlisted.log().contains("refused this side's key"), LONG, unlisted::log);
        TestCluster.await(() -> clientKey.log().contains("refused this worker's key"), LONG, clientKey::log);
        TestCluster.await(() -> plain.log().contains("requires CURVE"), LONG, plain::log);
        TestCluster.await(() -> Long.parseLong(TestCluster.value(status(broker), "auth_denied_workers")) >= 4, LONG,
            () -> "the unlisted key and the client's key, each on the backend and the heartbeat: " + status(broker));

        try (Client client = new Client(clientOptions(broker, "client").build())) {
            List<CompletableFuture<JobResult>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(client.submitForResult(new Job("job " + i), LONG));
            }
            for (int i = 0; i < calls.size(); i++) {
                JobResult result = calls.get(i).get(60, TimeUnit.SECONDS);
                assertEquals("job " + i, result.dataAsString(), "no job lost or failed");
                assertEquals(allowed.pid(), result.workerPid(), "only the allowed worker runs jobs");
            }
        }
        String status = status(broker);
        assertEquals("1", TestCluster.value(status, "workers"), status);
        assertEquals("200", TestCluster.value(status, "jobs_ok"), status);
        assertTrue(Long.parseLong(TestCluster.value(status, "handshake_failures")) >= 1,
            "the plain worker is refused before any ZAP question: " + status);
        String brokerLog = broker.process().log();
        assertTrue(brokerLog.contains("a client's key (client.key), which may not register as a worker"), brokerLog);
        assertTrue(brokerLog.contains("refused a worker from 127.0.0.1 on powerhose-backend: key "
            + CurveCertificate.load(keys.publicFile("stranger")).publicKey() + " is not in --allow-workers"), brokerLog);
    }

    @Test
    void refusedClientsFailAtOnceWithAClearErrorAndWorkOnceTheirKeyIsAdded() throws Exception {
        TcpBroker broker = startCurveBroker();
        javaWorker(broker, EchoHandler.class.getName(), "w-java");
        awaitWorkers(broker, 1);
        Duration timeout = Duration.ofSeconds(20);

        try (Client unlisted = new Client(clientOptions(broker, "stranger").timeout(timeout)
                .timeoutMaxOverflow(timeout).build())) {
            assertRefusedQuickly(unlisted, "refused this side's key (public key "
                + CurveCertificate.load(keys.publicFile("stranger")).publicKey() + ")");
            try (Client plain = new Client(ClientOptions.builder().frontend(broker.frontend()).timeout(timeout)
                    .timeoutMaxOverflow(timeout).build());
                 Client workerKey = new Client(clientOptions(broker, "w-java").timeout(timeout)
                     .timeoutMaxOverflow(timeout).build());
                 Client wrongServer = new Client(ClientOptions.builder().frontend(broker.frontend())
                     .curveServerKey(keys.publicFile("stranger")).curveKey(keys.secretFile("client"))
                     .timeout(timeout).timeoutMaxOverflow(timeout).build())) {
                assertRefusedQuickly(plain, "requires CURVE");
                assertRefusedQuickly(workerKey, "refused this side's key");
                assertRefusedQuickly(wrongServer, "is most likely not the broker's public key");
            }
            try (Client allowed = new Client(clientOptions(broker, "client").build())) {
                assertEquals("still serving", allowed.execute("still serving"));
            }
            assertTrue(Long.parseLong(TestCluster.value(status(broker), "auth_denied_clients")) >= 2, status(broker));

            // The refused client keeps trying (libzmq gives up after a refusal; the client does not): once its key
            // is in the allow-list (the broker sees the directory change), the same client works.
            Files.copy(keys.publicFile("stranger"), keys.allowList("clients").resolve("stranger.key"));
            TestCluster.await(() -> {
                try {
                    return "admitted".equals(unlisted.execute("admitted"));
                } catch (HandshakeFailedException e) {
                    return false;
                }
            }, LONG, () -> "the client whose key was added was not admitted:\n" + broker.process().log());
        }
    }

    @Test
    void aCurveClientOrWorkerFacingAPlainBrokerIsToldSoQuickly() throws Exception {
        TcpBroker broker = cluster.startTcpBrokerProcess(Security.NONE);
        ManagedProcess worker = javaWorker(broker, EchoHandler.class.getName(), "w-java");
        ManagedProcess cWorker = cWorker(broker, "w-c");
        try (Client client = new Client(clientOptions(broker, "client").timeout(Duration.ofSeconds(20))
                .timeoutMaxOverflow(Duration.ofSeconds(20)).build())) {
            assertRefusedQuickly(client, "does not use CURVE");
        }
        TestCluster.await(() -> worker.log().contains("does not use CURVE"), LONG, worker::log);
        TestCluster.await(() -> cWorker.log().contains("does not use CURVE"), LONG, cWorker::log);
        assertEquals("0", TestCluster.value(Probe.status(broker.frontend(), Duration.ofSeconds(2)), "workers"));
    }

    // ------------------------------------------------------------------------------------------ the wire

    @ParameterizedTest(name = "curve={0}")
    @ValueSource(booleans = {true, false})
    void aPayloadAndItsResultNeverCrossTheWireInClearWithCurve(boolean curve) throws Exception {
        TcpBroker broker = curve ? startCurveBroker() : cluster.startTcpBrokerProcess(Security.NONE);
        try (TcpRelay front = new TcpRelay(broker.frontend()); TcpRelay back = new TcpRelay(broker.backend())) {
            List<String> workerArgs = new ArrayList<>(List.of("--backend", back.endpoint(), "--heartbeat",
                broker.heartbeat()));
            if (curve) {
                workerArgs.addAll(curveArgs("w-java"));
            }
            cluster.startJavaWorker(ReverseHandler.class.getName(), workerArgs.toArray(new String[0]));
            awaitWorkers(broker, 1);
            String payload = "PLAINTEXT-CANARY-" + UUID.randomUUID();
            String result = new StringBuilder(payload).reverse().toString();
            ClientOptions.Builder options = curve ? clientOptions(broker, "client")
                : ClientOptions.builder().frontend(broker.frontend());
            try (Client client = new Client(options.frontend(front.endpoint()).build())) {
                assertEquals(result, client.execute(payload));
            }
            byte[] payloadBytes = payload.getBytes(StandardCharsets.UTF_8);
            byte[] resultBytes = result.getBytes(StandardCharsets.UTF_8);
            assertTrue(front.recorded().length > payloadBytes.length && back.recorded().length > payloadBytes.length,
                "the job went through the relays");
            for (TcpRelay relay : List.of(front, back)) {
                String leg = relay == front ? "client <-> broker" : "broker <-> worker";
                assertEquals(!curve, relay.sawBytes(payloadBytes), leg + ": the payload in clear text");
                assertEquals(!curve, relay.sawBytes(resultBytes), leg + ": the result in clear text");
            }
        }
    }

    // ------------------------------------------------------------------------------------------ key files

    @Test
    void aSecretKeyFileOpenToOthersOrAMalformedKeyFileIsRefusedNamingTheFile() throws Exception {
        Path open = keys.secretFile("w-java");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        Path malformed = cluster.dir().resolve("keys").resolve("malformed.key");
        Files.writeString(malformed, "curve\n    public-key = \"not a key\"\n");

        ConfigurationException tooOpen = assertThrows(ConfigurationException.class,
            () -> BrokerOptions.builder().curveSecretKey(open));
        assertTrue(tooOpen.getMessage().contains(open + ": a secret key file must be readable by its owner only")
            && tooOpen.getMessage().contains("chmod 600 " + open), tooOpen.getMessage());
        ConfigurationException notAKey = assertThrows(ConfigurationException.class,
            () -> ClientOptions.builder().curveServerKey(malformed));
        assertEquals(malformed + ": line 2: public-key is 9 characters, not the 40 of a Z85 key",
            notAKey.getMessage());

        String[] tcp = {"--backend", "tcp://127.0.0.1:9", "--heartbeat", "tcp://127.0.0.1:9"};
        for (String[] bad : List.of(new String[] {"--curve-server-key", keys.publicFile("broker").toString(),
                "--curve-key", open.toString()}, new String[] {"--curve-server-key", malformed.toString()})) {
            String file = bad[bad.length - 1];
            List<String> args = new ArrayList<>(Arrays.asList(tcp));
            args.addAll(Arrays.asList(bad));
            ManagedProcess java = cluster.startJavaWorker(EchoHandler.class.getName(), args.toArray(new String[0]));
            List<String> c = new ArrayList<>(List.of(NATIVE_BUILD.resolve("powerhose-worker-echo").toString()));
            c.addAll(args);
            ManagedProcess cWorker = cluster.start("c-echo", c);
            List<String> py = new ArrayList<>(List.of(PYTHON, PYTHON_EXAMPLES.resolve("worker.py").toString(),
                "echo.echo"));
            py.addAll(args);
            ManagedProcess python = cluster.start("python-echo", py);
            for (ManagedProcess worker : List.of(java, cWorker, python)) {
                assertTrue(worker.process().waitFor(30, TimeUnit.SECONDS), worker.log());
                assertEquals(3, worker.process().exitValue(), "a configuration error: " + worker.log());
                assertTrue(worker.log().contains(file), "names " + file + ":\n" + worker.log());
            }
        }
        Path allowList = keys.allowList("workers-bad", "w-c");
        Files.writeString(allowList.resolve("broken.key"), "metadata\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-------"));
        PowerhoseException brokenList = assertThrows(ConfigurationException.class, () -> Broker.start(
            cluster.brokerOptions().curveSecretKey(keys.secretFile("broker")).allowWorkers(allowList).build()));
        assertTrue(brokenList.getMessage().contains(allowList.resolve("broken.key") + ": no public-key"),
            brokenList.getMessage());
    }

    // ------------------------------------------------------------------------------------------ ipc and clusters

    @Test
    void ipcSocketFilesAreTheOwnersOnlyInADirectoryTheBrokerCreates() throws Exception {
        Path dir = cluster.dir().resolve("run").resolve("powerhose");
        BrokerOptions options = BrokerOptions.builder().frontend("ipc://" + dir.resolve("front.ipc"))
            .backend("ipc://" + dir.resolve("back.ipc")).heartbeat("ipc://" + dir.resolve("beat.ipc")).build();
        try (Broker broker = Broker.start(options)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            for (String name : List.of("front.ipc", "back.ipc", "beat.ipc")) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    dir.resolve(name))), name);
            }
            assertEquals(List.of("back.ipc", "beat.ipc", "front.ipc"), listing(dir), "no staging folder left");
            try (Client client = new Client(options.frontend())) {
                assertEquals(broker.pid(), client.ping(Duration.ofSeconds(5)).orElse(-1));
            }
        }
        String group = Files.readAttributes(cluster.dir(), java.nio.file.attribute.PosixFileAttributes.class).group()
            .getName();
        Path shared = cluster.dir().resolve("shared");
        try (Broker broker = Broker.start(BrokerOptions.builder().frontend("ipc://" + shared.resolve("front.ipc"))
                .backend("ipc://" + shared.resolve("back.ipc")).heartbeat("ipc://" + shared.resolve("beat.ipc"))
                .ipcGroup(group).build())) {
            assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                shared.resolve("front.ipc"))));
            assertEquals(group, Files.readAttributes(shared.resolve("front.ipc"),
                java.nio.file.attribute.PosixFileAttributes.class).group().getName());
            assertEquals(broker.pid(), Probe.ping(broker.frontend(), Duration.ofSeconds(5)));
        }
        assertThrows(ConfigurationException.class, () -> Broker.start(cluster.brokerOptions()
            .ipcGroup("no-such-group-" + UUID.randomUUID().toString().substring(0, 8)).build()));
    }

    @Test
    void aClusterGivesItsWorkersTheKeysAndAdmitsOnlyThem() throws Exception {
        Path workers = keys.allowList("workers", "w-java");
        ClusterOptions options = ClusterOptions.builder(EchoHandler.class.getName()).numProcesses(2)
            .frontend("tcp://127.0.0.1:*").backend("tcp://127.0.0.1:*").heartbeat("tcp://127.0.0.1:*")
            .curveSecretKey(keys.secretFile("broker")).allowClients(keys.allowList("clients", "client"))
            .allowWorkers(workers).workerCurveKey(keys.secretFile("w-java")).logfile(cluster.dir().resolve("cluster.log")
                .toString()).background(true).build();
        try (Cluster running = Cluster.start(options);
             Client client = new Client(ClientOptions.builder().frontend(running.broker().frontend())
                 .curveServerKey(keys.publicFile("broker")).curveKey(keys.secretFile("client")).build())) {
            assertEquals("through a CURVE cluster", client.execute("through a CURVE cluster"));
            assertEquals("2", TestCluster.value(running.broker().status(), "workers"));
        }
        ConfigurationException notListed = assertThrows(ConfigurationException.class,
            () -> ClusterOptions.builder(EchoHandler.class.getName()).curveSecretKey(keys.secretFile("broker"))
                .allowWorkers(workers).workerCurveKey(keys.secretFile("w-c")).build());
        assertTrue(notListed.getMessage().contains("is not in allowWorkers=" + workers), notListed.getMessage());
    }

    // ------------------------------------------------------------------------------------------ helpers

    private TcpBroker startCurveBroker() {
        Path clients = keys.allowList("clients", "client");
        Path workers = keys.allowList("workers", "w-java", "w-c", "w-py");
        probe = brokerProbe();
        return cluster.startTcpBrokerProcess(probe, "--curve-secret-key", keys.secretFile("broker").toString(),
            "--allow-clients", clients.toString(), "--allow-workers", workers.toString());
    }

    /** The broker's own key is admitted on its frontend: the tests ask for STATUS with it. */
    private Security brokerProbe() {
        CurveCertificate broker = CurveCertificate.loadSecret(keys.secretFile("broker"));
        return Security.client(broker, broker);
    }

    private String status(TcpBroker broker) {
        String status = Probe.status(broker.frontend(), Duration.ofSeconds(2), probe);
        assertTrue(status != null, "the broker answers STATUS");
        return status;
    }

    private void awaitWorkers(TcpBroker broker, int count) {
        TestCluster.await(() -> TestCluster.value(status(broker), "workers").equals(Integer.toString(count)), LONG,
            () -> "expected " + count + " workers: " + status(broker) + "\n" + cluster.logs());
    }

    private ClientOptions.Builder clientOptions(TcpBroker broker, String key) {
        return ClientOptions.builder().frontend(broker.frontend()).curveServerKey(keys.publicFile("broker"))
            .curveKey(keys.secretFile(key));
    }

    private List<String> curveArgs(String key) {
        return List.of("--curve-server-key", keys.publicFile("broker").toString(), "--curve-key",
            keys.secretFile(key).toString());
    }

    private ManagedProcess javaWorker(TcpBroker broker, String target, String key) {
        List<String> args = new ArrayList<>(List.of("--backend", broker.backend(), "--heartbeat", broker.heartbeat()));
        if (key != null) {
            args.addAll(curveArgs(key));
        }
        return cluster.startJavaWorker(target, args.toArray(new String[0]));
    }

    private ManagedProcess cWorker(TcpBroker broker, String key) {
        List<String> command = new ArrayList<>(List.of(NATIVE_BUILD.resolve("powerhose-worker-echo").toString(),
            "--backend", broker.backend(), "--heartbeat", broker.heartbeat()));
        if (key != null) {
            command.addAll(curveArgs(key));
        }
        return cluster.start("c-echo", command);
    }

    private ManagedProcess pythonWorker(TcpBroker broker, String key) {
        List<String> command = new ArrayList<>(List.of(PYTHON, PYTHON_EXAMPLES.resolve("worker.py").toString(),
            "echo.echo", "--backend", broker.backend(), "--heartbeat", broker.heartbeat()));
        if (key != null) {
            command.addAll(curveArgs(key));
        }
        return cluster.start("python-echo", command);
    }

    private static void assertRefusedQuickly(Client client, String says) {
        long startNs = System.nanoTime();
        HandshakeFailedException refused = assertThrows(HandshakeFailedException.class,
            () -> client.execute("not for you"));
        Duration took = Duration.ofNanos(System.nanoTime() - startNs);
        assertTrue(refused.getMessage().contains(says), "'" + says + "' in: " + refused.getMessage());
        assertTrue(took.compareTo(QUICKLY) < 0, "refused in " + took + ", not after the call's timeout");
        assertEquals(client.options().frontend(), refused.endpoint());
    }

    private static List<String> listing(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
