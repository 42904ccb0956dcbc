package io.powerhose.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hosts for tests on one machine: Linux network namespaces, each with its own loopback and one interface
 * ({@code eth0}, a veth pair) plugged into a bridge that lives in a namespace of its own. Host {@code i} (from 0)
 * has the address {@code 192.0.2.(11 + i)}/24 (TEST-NET-1, RFC 5737); nothing else is routed, so traffic goes
 * only between these hosts. The machine's own interfaces, routes and namespace are never touched: every link is
 * created inside a namespace made here.
 *
 * <pre>{@code
 * TestHosts hosts = cluster.closeAfter(TestHosts.create(3));   // after the test's processes are ended
 * Host broker = hosts.host(0);
 * cluster.start("broker", broker.command(JavaCommand.of(...)));  // runs inside the namespace
 * broker.cut();      // its link goes down: no FIN, no RST, no socket closed; peers hear nothing
 * broker.restore();
 * }</pre>
 *
 * <p>A process started through {@link Host#command} runs inside the namespace with the same pid as its
 * {@link Process} handle ({@code ip netns exec} execs the command), so it is ended by its own pid as usual.
 *
 * <p>{@link #close()} ends whatever still runs in the namespaces (SIGKILL, by pid, as listed by
 * {@code ip netns pids}) and deletes them, which destroys their links and the bridge. A shutdown hook closes the
 * hosts a JVM still holds when it exits. Names carry the test JVM's pid ({@code powerhose-<pid>-<n>-<host>}): at
 * every {@link #create}, namespaces of runs whose JVM no longer exists (a SIGKILLed test run) are cleaned up the
 * same way. Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2; when a namespace cannot be made,
 * {@link #create} throws with the command's error: host tests fail, they never skip.
 *
 * <p><b>Note:</b> thread safe; create, use, close once.
 */
public final class TestHosts implements AutoCloseable {
    /** The prefix of every namespace name made here. */
    public static final String PREFIX = "powerhose-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-(\\d+)-([a-z0-9]+)");
    private static final long PID = ProcessHandle.current().pid();
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Set<TestHosts> OPEN = Collections.synchronizedSet(new LinkedHashSet<>());
    private static final long COMMAND_TIMEOUT_MS = 20_000;
    private static final String BRIDGE = "br0";

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            List<TestHosts> open;
            synchronized (OPEN) {
                open = new ArrayList<>(OPEN);
            }
            for (TestHosts hosts : open) {
                hosts.close();
            }
        }, "powerhose-test-hosts-cleanup"));
    }

    private final String run;
    private final String network;
    private final List<Host> hosts;
    private boolean closed;

    private TestHosts(String run, List<String> hostNames) {
        this.run = run;
        this.network = run + "net";
        List<Host> list = new ArrayList<>();
        for (int i = 0; i < hostNames.size(); i++) {
            list.add(new Host(i, hostNames.get(i)));
        }
        this.hosts = List.copyOf(list);
    }

    /**
     * Creates hosts named {@code h1 … hN}.
     *
     * @param count how many hosts (1 to 200)
     * @return the hosts, all links up
     * @throws IllegalStateException when a namespace or a link cannot be made (not root, no iproute2)
     */
    public static TestHosts create(int count) {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            names.add("h" + i);
        }
        return create(names);
    }

    /**
     * Creates named hosts, e.g. {@code "broker", "workers", "client"}.
     *
     * @param names short names (lowercase letters and digits), one per host, in address order
     * @return the hosts, all links up
     * @throws IllegalStateException when a namespace or a link cannot be made (not root, no iproute2)
     */
    public static TestHosts create(List<String> names) {
        if (names.isEmpty() || names.size() > 200) {
            throw new IllegalArgumentException("between 1 and 200 hosts, not " + names.size());
        }
        for (String name : names) {
            if (!name.matches("[a-z][a-z0-9]{0,11}") || name.equals("net")) {
                throw new IllegalArgumentException("host name '" + name + "': 1 to 12 lowercase letters or digits, "
                    + "starting with a letter, not 'net'");
            }
        }
        if (new LinkedHashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("host names must differ: " + names);
        }
        removeStale();
        TestHosts hosts = new TestHosts(PREFIX + PID + "-" + RUNS.incrementAndGet() + "-", names);
        OPEN.add(hosts);
        try {
            hosts.build();
        } catch (RuntimeException e) {
            try {
                hosts.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return hosts;
    }

    private void build() {
        ip("netns", "add", network);
        ip("-n", network, "link", "add", BRIDGE, "type", "bridge");
        ip("-n", network, "link", "set", BRIDGE, "up");
        ip("-n", network, "link", "set", "lo", "up");
        for (Host host : hosts) {
            ip("netns", "add", host.namespace);
            ip("-n", host.namespace, "link", "set", "lo", "up");
            // Made inside the host's namespace, its peer moved straight into the bridge's: never in the machine's.
            ip("-n", host.namespace, "link", "add", "eth0", "type", "veth", "peer", "name", host.port,
                "netns", network);
            ip("-n", network, "link", "set", host.port, "master", BRIDGE);
            ip("-n", network, "link", "set", host.port, "up");
            ip("-n", host.namespace, "addr", "add", host.address + "/24", "dev", "eth0");
            ip("-n", host.namespace, "link", "set", "eth0", "up");
        }
    }

    /**
     * @param index from 0, in creation order
     * @return that host
     */
    public Host host(int index) {
        return hosts.get(index);
    }

    /** @return every host, in creation order */
    public List<Host> hosts() {
        return hosts;
    }

    /** @return the namespaces this object made (the bridge's first) that still exist */
    public List<String> namespaces() {
        List<String> mine = new ArrayList<>();
        for (String name : listNamespaces()) {
            if (name.startsWith(run)) {
                mine.add(name);
            }
        }
        return mine;
    }

    /**
     * Ends what still runs in the hosts (SIGKILL, by pid) and deletes their namespaces, links and bridge.
     * Idempotent.
     *
     * @throws IllegalStateException when a namespace could not be removed (it names it)
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.remove(this);
        List<String> names = new ArrayList<>();
        for (Host host : hosts) {
            names.add(host.namespace);
        }
        names.add(network);
        List<String> problems = removeNamespaces(names);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("test hosts " + run + "*: " + String.join("; ", problems));
        }
    }

    /**
     * Removes the namespaces of earlier runs whose JVM no longer runs (killed before it could clean up), ending
     * the processes still inside them. Called by {@link #create}.
     *
     * @return the namespaces removed
     */
    public static List<String> removeStale() {
        List<String> stale = new ArrayList<>();
        for (String name : listNamespaces()) {
            Matcher matcher = NAME.matcher(name);
            if (matcher.matches()) {
                long pid = Long.parseLong(matcher.group(1));
                Optional<ProcessHandle> owner = ProcessHandle.of(pid);
                if (pid != PID && (owner.isEmpty() || !owner.get().isAlive())) {
                    stale.add(name);
                }
            }
        }
        if (!stale.isEmpty()) {
            List<String> problems = removeNamespaces(stale);
            if (!problems.isEmpty()) {
                throw new IllegalStateException("stale test hosts: " + String.join("; ", problems));
            }
        }
        return stale;
    }

    /** Kills what runs inside (by pid), then deletes; returns what went wrong. */
    private static List<String> removeNamespaces(List<String> names) {
        List<String> problems = new ArrayList<>();
        Set<String> existing = new LinkedHashSet<>(listNamespaces());
        for (String name : names) {
            if (!existing.contains(name)) {
                continue;
            }
            for (long pid : pidsIn(name)) {
                ProcessHandle.of(pid).ifPresent(process -> {
                    process.destroyForcibly();
                    try {
                        process.onExit().get(5, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        problems.add(name + ": pid " + pid + " did not end after SIGKILL");
                    }
                });
            }
            Result result = exec(List.of("ip", "netns", "delete", name));
            if (result.code != 0) {
                problems.add("ip netns delete " + name + ": " + result.output.strip());
            }
        }
        Set<String> left = new LinkedHashSet<>(listNamespaces());
        left.retainAll(names);
        if (!left.isEmpty()) {
            problems.add("still present: " + left);
        }
        return problems;
    }

    private static Set<Long> pidsIn(String namespace) {
        Result result = exec(List.of("ip", "netns", "pids", namespace));
        Set<Long> pids = new LinkedHashSet<>();
        for (String line : result.output.split("\\s+")) {
            if (line.matches("\\d+")) {
                pids.add(Long.parseLong(line));
            }
        }
        return pids;
    }

    private static List<String> listNamespaces() {
        Result result = exec(List.of("ip", "netns", "list"));
        if (result.code != 0) {
            throw new IllegalStateException("ip netns list failed (exit " + result.code + "): " + result.output
                + " — the host tests need iproute2 and root");
        }
        List<String> names = new ArrayList<>();
        for (String line : result.output.split("\n")) {
            String name = line.strip().split("\\s+")[0];
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    private static void ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(Arrays.asList(args));
        Result result = exec(command);
        if (result.code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + result.code + "): "
                + result.output.strip() + " — the host tests need root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2;"
                + " they fail rather than skip");
        }
    }

    private static Result exec(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, "timed out after " + COMMAND_TIMEOUT_MS + " ms: " + command);
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    @Override
    public String toString() {
        return "TestHosts " + run + "* " + hosts;
    }

    private record Result(int code, String output) {
    }

    /** One host: a namespace, its address, its link into the bridge. */
    public final class Host {
        private final String name;
        private final String namespace;
        private final String address;
        /** Its end of the veth pair in the bridge's namespace: what {@link #cut()} takes down. */
        private final String port;
        private volatile boolean cut;

        Host(int index, String name) {
            this.name = name;
            this.namespace = run + name;
            this.address = "192.0.2." + (11 + index);
            this.port = "port" + index;
        }

        /** @return the short name given at creation, e.g. {@code h1} */
        public String name() {
            return name;
        }

        /** @return the namespace's name, e.g. {@code powerhose-4242-1-h1} */
        public String namespace() {
            return namespace;
        }

        /** @return its IPv4 address, e.g. {@code 192.0.2.11} */
        public String address() {
            return address;
        }

        /**
         * @param port a TCP port
         * @return {@code tcp://ADDRESS:PORT}. Any fixed port is free in a namespace made for this test.
         */
        public String endpoint(int port) {
            return "tcp://" + address + ":" + port;
        }

        /**
         * Wraps a command line so that it runs in this host: {@code ip netns exec NAMESPACE COMMAND…}. The
         * process started from it is the command itself (same pid).
         *
         * @param command the program and its arguments
         * @return the wrapped command line
         */
        public List<String> command(List<String> command) {
            List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
            wrapped.addAll(command);
            return wrapped;
        }

        /**
         * Runs a short command in this host to its end (at most 20 s).
         *
         * @param command the program and its arguments
         * @return its output (stdout and stderr)
         * @throws IllegalStateException when it exits with another code than 0
         */
        public String run(String... command) {
            Result result = exec(command(List.of(command)));
            if (result.code != 0) {
                throw new IllegalStateException("in " + name + ": " + String.join(" ", command) + " exited with "
                    + result.code + ": " + result.output.strip());
            }
            return result.output;
        }

        /**
         * Cuts this host's link: its port on the bridge goes down, so that nothing it sends arrives and nothing
         * reaches it, like a pulled cable or a switch port that died. No socket is closed and nobody is told:
         * no FIN, no RST; the host's own interface only loses its carrier.
         */
        public void cut() {
            ip("-n", network, "link", "set", port, "down");
            cut = true;
        }

        /** Brings this host's link back up; connections that survived carry on. */
        public void restore() {
            ip("-n", network, "link", "set", port, "up");
            cut = false;
        }

        /** @return whether {@link #cut()} was called last (not {@link #restore()}) */
        public boolean isCut() {
            return cut;
        }

        /** @return the pids of the processes in this host's namespace now */
        public Set<Long> pids() {
            return pidsIn(namespace);
        }

        @Override
        public String toString() {
            return name + "(" + address + (cut ? ", cut" : "") + ")";
        }
    }
}
