package io.powerhose.cli;

import io.powerhose.CurveCertificate;
import io.powerhose.HandshakeFailedException;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.internal.zmq.Security;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The security commands as an operator runs them (issue 14): {@code powerhose-keygen} writes the keys, and
 * {@code powerhose-broker} with CURVE re-reads its allow-lists on SIGHUP, refuses bad key files naming them, on tcp
 * at 127.0.0.1.
 */
@Timeout(180)
class SecurityCommandsTest {
    private static final Duration LONG = Duration.ofSeconds(30);
    private static final Pattern FRONTEND = Pattern.compile("frontend (tcp://127\\.0\\.0\\.1:\\d+),");

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private ManagedProcess command(String name, String mainClass, String... args) {
        return cluster.start(name, JavaCommand.of(mainClass, List.of("-XX:TieredStopAtLevel=1"), List.of(args)));
    }

    private Path keygen(Path dir, String name) {
        Path base = dir.resolve(name);
        ManagedProcess keygen = command("keygen-" + name, "io.powerhose.cli.KeygenCommand", base.toString());
        assertEquals(0, keygen.waitFor(LONG), keygen.log());
        assertTrue(keygen.log().contains("wrote " + base + ".key (public) and " + base + ".key_secret"), keygen.log());
        return base;
    }

    @Test
    void removingAKeyAndSendingSighupRefusesItsNextConnection() throws Exception {
        Path keys = Files.createDirectories(cluster.dir().resolve("keys"));
        Path broker = keygen(keys, "broker");
        Path alice = keygen(keys, "alice");
        Path bob = keygen(keys, "bob");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
            Path.of(bob + ".key_secret"))), "keygen writes the secret file for its owner only");
        Path clients = Files.createDirectories(cluster.dir().resolve("clients"));
        Files.copy(Path.of(alice + ".key"), clients.resolve("alice.key"));
        Files.copy(Path.of(bob + ".key"), clients.resolve("bob.key"));

        // Without the directory watch, only SIGHUP re-reads the list: the test shows that SIGHUP does.
        ManagedProcess process = command("broker", "io.powerhose.cli.BrokerCommand", "--frontend",
            "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--heartbeat", "tcp://127.0.0.1:*",
            "--curve-secret-key", broker + ".key_secret", "--allow-clients", clients.toString(),
            "--no-watch-allow-lists");
        TestCluster.await(() -> FRONTEND.matcher(process.log()).find() || !process.isAlive(), LONG, process::log);
        Matcher m = FRONTEND.matcher(process.log());
        assertTrue(m.find(), process.log());
        String frontend = m.group(1);
        CurveCertificate brokerKey = CurveCertificate.load(Path.of(broker + ".key"));
        Security asAlice = Security.client(brokerKey, CurveCertificate.loadSecret(Path.of(alice + ".key_secret")));
        Security asBob = Security.client(brokerKey, CurveCertificate.loadSecret(Path.of(bob + ".key_secret")));
        Security asBroker = Security.client(brokerKey, CurveCertificate.loadSecret(Path.of(broker + ".key_secret")));
        assertEquals(process.pid(), Probe.ping(frontend, LONG, asAlice));
        assertEquals(process.pid(), Probe.ping(frontend, LONG, asBob));

        Files.delete(clients.resolve("bob.key"));
        assertEquals(process.pid(), Probe.ping(frontend, LONG, asBob),
            "no SIGHUP yet, and the directory is not watched: the list in force still holds bob");
        assertEquals("0", TestCluster.value(Probe.status(frontend, LONG, asBroker), "allow_list_reloads"));

        Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start();
        assertTrue(hup.waitFor(10, TimeUnit.SECONDS) && hup.exitValue() == 0, "kill -HUP");
        TestCluster.await(() -> "1".equals(TestCluster.value(Probe.status(frontend, LONG, asBroker),
            "allow_list_reloads")), LONG, () -> "the broker did not re-read its lists on SIGHUP:\n" + process.log());

        HandshakeFailedException refused = assertThrows(HandshakeFailedException.class,
            () -> Probe.ping(frontend, LONG, asBob));
        assertTrue(refused.getMessage().contains("refused this side's key"), refused.getMessage());
        assertEquals(process.pid(), Probe.ping(frontend, LONG, asAlice), "alice stays allowed");
        assertTrue(process.isAlive(), "SIGHUP does not end the broker");
        String status = Probe.status(frontend, LONG, asBroker);
        assertTrue(Long.parseLong(TestCluster.value(status, "auth_denied_clients")) >= 1, status);
        assertTrue(process.log().contains("re-reading the allow-lists"), process.log());
        assertTrue(process.log().contains("refused a client from 127.0.0.1 on powerhose-frontend: key "
            + CurveCertificate.load(Path.of(bob + ".key")).publicKey() + " is not in --allow-clients"), process.log());

        process.terminate();
        assertEquals(143, process.waitFor(LONG), "stopped by SIGTERM (docs/OPERATIONS.md): " + process.log());
    }

    @Test
    void theBrokerCommandRefusesASecretKeyOpenToOthersAndAMalformedKeyNamingTheFile() throws Exception {
        Path keys = Files.createDirectories(cluster.dir().resolve("keys"));
        Path broker = keygen(keys, "broker");
        Path secret = Path.of(broker + ".key_secret");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
        ManagedProcess open = command("broker-open", "io.powerhose.cli.BrokerCommand", "--frontend",
            "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--heartbeat", "tcp://127.0.0.1:*",
            "--curve-secret-key", secret.toString());
        assertEquals(3, open.waitFor(LONG), "a configuration error: " + open.log());
        assertTrue(open.log().contains(secret + ": a secret key file must be readable by its owner only")
            && open.log().contains("chmod 600 " + secret), open.log());

        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path clients = Files.createDirectories(cluster.dir().resolve("clients"));
        Path broken = clients.resolve("broken.key");
        Files.writeString(broken, "curve\n    public-key = \"too short\"\n");
        ManagedProcess malformed = command("broker-malformed", "io.powerhose.cli.BrokerCommand", "--frontend",
            "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--heartbeat", "tcp://127.0.0.1:*",
            "--curve-secret-key", secret.toString(), "--allow-clients", clients.toString());
        assertEquals(3, malformed.waitFor(LONG), "a configuration error: " + malformed.log());
        assertTrue(malformed.log().contains(broken.toString()), "names " + broken + ":\n" + malformed.log());
    }
}
