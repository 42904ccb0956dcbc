package io.powerhose.testing;

import io.powerhose.internal.process.JavaCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host harness itself: hosts reach each other over tcp and nothing else, a cut link carries nothing until it is
 * restored (and the connection made before the cut survives it), and every namespace goes away on close and after
 * the JVM that made it was SIGKILLed. Runs as root, as the whole suite does on this machine kind.
 */
@Timeout(60)
class TestHostsTest {
    private static final String PYTHON = "/usr/bin/python3";
    /** Accepts connections on ADDRESS:7000 and answers each line with "echo LINE", for ever. */
    private static final String ECHO_SERVER = String.join("\n",
        "import socket, sys, threading",
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        "s.bind((sys.argv[1], 7000)); s.listen(8); print('listening', flush=True)",
        "def serve(c):",
        "    f = c.makefile('rwb')",
        "    for line in f:",
        "        f.write(b'echo ' + line); f.flush()",
        "while True:",
        "    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()");
    /** Connects to ADDRESS:7000 (1 s timeout) and prints the answer to "hello"; exit 1 when it cannot. */
    private static final String ECHO_CLIENT = String.join("\n",
        "import socket, sys",
        "try:",
        "    c = socket.create_connection((sys.argv[1], 7000), timeout=1)",
        "    c.sendall(b'hello\\n'); print(c.makefile('rb').readline().decode().strip())",
        "except OSError as e:",
        "    print('failed:', e); sys.exit(1)");

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void hostsTalkOverTcpAndACutLinkCarriesNothingUntilRestoredWithoutClosingTheConnection() throws Exception {
        String machineBefore = machineLines();
        TestHosts hosts = cluster.closeAfter(TestHosts.create(List.of("server", "client", "bystander")));
        TestHosts.Host server = hosts.host(0);
        TestHosts.Host client = hosts.host(1);
        TestHosts.Host bystander = hosts.host(2);
        assertEquals("192.0.2.11", server.address());
        assertEquals("192.0.2.13", bystander.address());
        assertTrue(server.run("ip", "-4", "-o", "addr", "show", "dev", "eth0").contains("192.0.2.11/24"));
        assertTrue(client.run("ip", "-o", "link", "show", "lo").contains("UP"), "loopback is up in every host");
        assertEquals(machineBefore, machineLines(), "the machine's own links, addresses and routes are untouched");

        TestCluster.ManagedProcess echo = startEchoServer(server);
        startEchoServer(bystander);
        assertEquals(Set.of(echo.pid()), server.pids(), "the process is the command itself, in its namespace");
        assertEquals("echo hello", client.run(PYTHON, "-c", ECHO_CLIENT, server.address()).strip());

        // A connection made before the cut: it must survive the cut (no FIN, no RST) and carry data after it.
        TestCluster.ManagedProcess longLived = cluster.start("long-lived-client", client.command(List.of(PYTHON,
            "-u", "-c", String.join("\n",
                "import socket, sys",
                "c = socket.create_connection((sys.argv[1], 7000)); f = c.makefile('rwb')",
                "for line in sys.stdin:",
                "    f.write(line.encode()); f.flush(); print(f.readline().decode().strip(), flush=True)"),
            server.address())));
        send(longLived, "before");
        TestCluster.await(() -> longLived.log().contains("echo before"), Duration.ofSeconds(10), longLived::log);

        server.cut();
        assertTrue(server.isCut());
        IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> client.run(PYTHON, "-c", ECHO_CLIENT, server.address()));
        assertTrue(refused.getMessage().contains("timed out"), refused.getMessage());
        assertEquals("echo hello", client.run(PYTHON, "-c", ECHO_CLIENT, bystander.address()).strip(),
            "the other hosts still reach each other");
        send(longLived, "during");
        assertFalse(longLived.log().contains("echo during"));

        server.restore();
        assertFalse(server.isCut());
        TestCluster.await(() -> longLived.log().contains("echo during"), Duration.ofSeconds(15),
            () -> "the connection made before the cut did not carry on after the restore: " + longLived.log());
        assertEquals("echo hello", client.run(PYTHON, "-c", ECHO_CLIENT, server.address()).strip());

        List<String> made = hosts.namespaces();
        assertEquals(4, made.size(), "three hosts and the bridge: " + made);
        longLived.process().getOutputStream().close();
        longLived.waitFor(Duration.ofSeconds(10));
        hosts.close();
        assertFalse(echo.isAlive(), "close() ends what still runs inside");
        assertTrue(hosts.namespaces().isEmpty(), "namespaces left: " + hosts.namespaces());
    }

    @Test
    void hostsOfAJvmKilledWithSigkillAreRemovedWithTheirProcessesByTheNextRun() throws Exception {
        TestCluster.ManagedProcess child = cluster.start("hosts-owner", JavaCommand.of(Owner.class.getName(),
            List.of("-Xmx64m"), List.of()));
        TestCluster.await(() -> child.log().contains("sleeper "), Duration.ofSeconds(30), child::log);
        Matcher matcher = Pattern.compile("sleeper (\\d+) in (\\S+)").matcher(child.log());
        assertTrue(matcher.find(), child.log());
        long sleeper = Long.parseLong(matcher.group(1));
        String namespace = matcher.group(2);
        child.kill();
        ProcessHandle orphan = ProcessHandle.of(sleeper).orElseThrow(() -> new AssertionError("no sleeper"));
        assertTrue(orphan.isAlive(), "the orphan still runs in the dead run's namespace");

        List<String> removed = TestHosts.removeStale();
        assertTrue(removed.contains(namespace), "removed " + removed + ", expected " + namespace);
        assertEquals(3, removed.stream().filter(name -> name.startsWith(namespace.replaceAll("h1$", ""))).count(),
            "two hosts and the bridge: " + removed);
        orphan.onExit().get(5, TimeUnit.SECONDS);
        assertFalse(orphan.isAlive());
    }

    @Test
    void badHostNamesAreRefusedBeforeAnythingIsMade() {
        assertThrows(IllegalArgumentException.class, () -> TestHosts.create(List.of("Broker")));
        assertThrows(IllegalArgumentException.class, () -> TestHosts.create(List.of("a", "a")));
        assertThrows(IllegalArgumentException.class, () -> TestHosts.create(0));
    }

    private TestCluster.ManagedProcess startEchoServer(TestHosts.Host host) {
        TestCluster.ManagedProcess echo = cluster.start("echo-" + host.name(),
            host.command(List.of(PYTHON, "-u", "-c", ECHO_SERVER, host.address())));
        TestCluster.await(() -> echo.log().contains("listening"), Duration.ofSeconds(10), echo::log);
        return echo;
    }

    private static void send(TestCluster.ManagedProcess process, String line) throws IOException {
        process.process().getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.process().getOutputStream().flush();
    }

    /**
     * The machine's own lines that a mistake here would change: its links named as ours ({@code port0}, {@code br0},
     * a veth {@code eth0@…}), and its addresses and routes in 192.0.2.0/24 (this machine kind's own network may be
     * there too: its lines must stay the same).
     */
    private static String machineLines() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (String what : List.of("link", "addr", "route")) {
            Process process = new ProcessBuilder("ip", "-o", what, "show").redirectErrorStream(true).start();
            String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(10, TimeUnit.SECONDS));
            for (String line : text.split("\n")) {
                if (line.contains("192.0.2.") || line.matches("\\d+: (port\\d+|br0|eth0@)[^ ]*:? .*")) {
                    lines.append(line.replaceAll("valid_lft.*", "")).append('\n');
                }
            }
        }
        return lines.toString();
    }

    /** A test run that makes two hosts, starts a process in one, and is then SIGKILLed before it cleans up. */
    static final class Owner {
        private Owner() {
        }

        public static void main(String[] args) throws Exception {
            TestHosts hosts = TestHosts.create(2);
            Process sleeper = new ProcessBuilder(hosts.host(0).command(List.of("sleep", "300"))).start();
            System.out.println("sleeper " + sleeper.pid() + " in " + hosts.host(0).namespace());
            Thread.sleep(300_000);
        }
    }
}
