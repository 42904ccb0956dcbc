package io.powerhose.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.powerhose.BrokerBusyException;
import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.Job;
import io.powerhose.JobFailedException;
import io.powerhose.WorkerLostException;
import io.powerhose.internal.metrics.Metrics;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.process.JavaCommand;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code powerhose-broker --metrics}: the Prometheus endpoint after a known run, read line by line; the status
 * JSON; bad addresses; and bad HTTP input while jobs run. The broker is the real command in a child JVM, the
 * workers real worker processes.
 */
@Timeout(180)
class MetricsEndpointTest {
    private static final String TARGET = MetricsTestTargets.class.getName() + "::job";
    private static final Pattern URL = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/metrics");
    private static final Path OPERATIONS = Path.of("..", "docs", "OPERATIONS.md").toAbsolutePath().normalize();

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private int startBroker(String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--metrics", "127.0.0.1:0"));
        args.addAll(List.of(extraArgs));
        ManagedProcess broker = cluster.startBrokerCommand(List.of(), args.toArray(String[]::new));
        int[] port = {0};
        TestCluster.await(() -> {
            Matcher m = URL.matcher(broker.log());
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
            }
            return port[0] > 0;
        }, Duration.ofSeconds(20), () -> "the broker did not log its metrics address:\n" + broker.log());
        return port[0];
    }

    private HttpResponse<String> get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private PrometheusText scrape(int port) {
        HttpResponse<String> response = get(port, "/metrics");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        return PrometheusText.parse(response.body());
    }

    /**
     * Issue 16, "Tests", first item: after 20 ok jobs, 3 forced errors, one BUSY and one worker killed mid-job,
     * /metrics shows exactly those counts under the documented names, the timers have their buckets, the JVM and
     * process metrics are there; the client's own registry saw the same calls from its side.
     */
    @Test
    void aKnownRunShowsExactlyItsCountsUnderTheDocumentedNames() throws Exception {
        int port = startBroker("--max-queued", "0");
        ManagedProcess worker = cluster.startJavaWorker(TARGET, "--prefetch", "0");
        cluster.awaitWorkers(1);
        SimpleMeterRegistry clientRegistry = new SimpleMeterRegistry();
        Client client = cluster.client(ClientOptions.builder().meterRegistry(clientRegistry));

        for (int i = 0; i < 20; i++) {
            assertEquals("ok " + i, client.execute("ok " + i));
        }
        for (int i = 0; i < 3; i++) {
            assertThrows(JobFailedException.class, () -> client.execute("fail"));
        }
        CompletableFuture<byte[]> held = client.submit(new Job("sleep:60000"));
        TestCluster.await(() -> scrape(port).value("powerhose_broker_jobs_in_flight") == 1, Duration.ofSeconds(10),
            () -> "the slow job never reached the worker");
        assertThrows(BrokerBusyException.class, () -> client.execute("ok"),
            "the only worker is busy, takes no prefetch and the queue holds 0");
        worker.kill();
        ExecutionException lost = assertThrows(ExecutionException.class, () -> held.get(20, TimeUnit.SECONDS));
        assertInstanceOf(WorkerLostException.class, lost.getCause());

        TestCluster.await(() -> scrape(port).value("powerhose_broker_workers_active") == 0, Duration.ofSeconds(10),
            () -> "the killed worker is still counted");
        PrometheusText m = scrape(port);
        assertEquals(25, m.value("powerhose_broker_jobs_received_total"));
        assertEquals(20, m.value("powerhose_broker_jobs_answered_total{outcome=\"ok\"}"));
        assertEquals(3, m.value("powerhose_broker_jobs_answered_total{outcome=\"error\"}"));
        assertEquals(1, m.value("powerhose_broker_jobs_answered_total{outcome=\"busy\"}"));
        assertEquals(1, m.value("powerhose_broker_jobs_answered_total{outcome=\"worker_lost\"}"));
        for (String none : List.of("expired", "no_worker", "too_large")) {
            assertEquals(0, m.value("powerhose_broker_jobs_answered_total{outcome=\"" + none + "\"}"), none);
        }
        assertEquals(24, m.value("powerhose_broker_jobs_routed_total"));
        assertEquals(1, m.value("powerhose_broker_workers_lost_total"));
        assertEquals(0, m.value("powerhose_broker_jobs_in_flight"));
        assertEquals(0, m.value("powerhose_broker_jobs_queued"));
        assertEquals(0, m.value("powerhose_broker_queue_limit"));
        assertEquals(0, m.value("powerhose_broker_messages_malformed_total"));
        assertEquals(0, m.value("powerhose_broker_errors_internal_total"));
        assertEquals(Map.of(), m.samplesOf("powerhose_broker_worker_jobs_total"), "the killed worker's meters left");
        assertTrue(m.value("powerhose_broker_received_bytes_total{socket=\"frontend\"}") > 25 * 4);
        assertTrue(m.value("powerhose_broker_sent_bytes_total{socket=\"backend\"}") > 24 * 4);

        assertEquals("histogram", m.typeByFamily.get("powerhose_broker_service_seconds"));
        assertEquals(23, m.value("powerhose_broker_service_seconds_count"), "each answered job once");
        assertEquals(23, m.value("powerhose_broker_service_seconds_bucket{le=\"+Inf\"}"));
        assertEquals(24, m.value("powerhose_broker_queue_wait_seconds_count"), "each routed job once");
        assertEquals(19, m.samplesOf("powerhose_broker_service_seconds_bucket").size(), "18 SLO buckets and +Inf");
        double previous = 0;
        for (double count : m.samplesOf("powerhose_broker_service_seconds_bucket").values()) {
            assertTrue(count >= previous, "buckets are cumulative");
            previous = count;
        }
        assertFalse(m.samplesOf("jvm_memory_used_bytes").isEmpty(), "JVM memory");
        assertTrue(m.names().containsAll(List.of("process_cpu_usage", "jvm_threads_live_threads",
            "process_uptime_seconds", "process_files_open_files", "jvm_gc_memory_allocated_bytes_total")),
            "JVM and process metrics: " + m.names());

        assertEquals(20, clientRegistry.get("powerhose.client.calls").tag("outcome", "ok").timer().count());
        assertEquals(3, clientRegistry.get("powerhose.client.calls").tag("outcome", "error").timer().count());
        assertEquals(1, clientRegistry.get("powerhose.client.calls").tag("outcome", "busy").timer().count());
        assertEquals(1, clientRegistry.get("powerhose.client.calls").tag("outcome", "worker_lost").timer().count());
        assertEquals(0, clientRegistry.get("powerhose.client.calls.in.flight").gauge().value());

        Map<String, Object> status = TestJson.object(get(port, "/status.json").body());
        assertEquals(List.of(), status.get("workers"));
        assertEquals(20.0, ((Map<?, ?>) status.get("counters")).get("jobs_ok"));
    }

    /**
     * Every metric named in docs/OPERATIONS.md exists under that name (the broker's in the command's /metrics, the
     * client's, worker's and cluster's in a registry of their own), and every powerhose metric there is is named.
     */
    @Test
    void theDocumentedNamesAreTheNamesServed() throws IOException {
        int port = startBroker();
        cluster.startJavaWorker(TARGET);
        cluster.awaitWorkers(1); // the per-worker meters
        Set<String> served = new LinkedHashSet<>(scrape(port).typeByFamily.keySet());
        PrometheusMeterRegistry other = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Metrics.client(other, () -> 0).onLateReply();
        Metrics.worker(other).onJobTimedOut();
        Metrics.cluster(other).onWorkerRestarted();
        served.addAll(PrometheusText.parse(other.scrape()).typeByFamily.keySet());
        served.removeIf(name -> !name.startsWith("powerhose_"));

        // A histogram's family is documented once; its _bucket, _count and _sum series and its _max gauge with it.
        served.removeIf(name -> name.endsWith("_max") && served.contains(name.substring(0, name.length() - 4)));
        Set<String> documented = new LinkedHashSet<>();
        Matcher names = Pattern.compile("`(powerhose_[a-z_]+)").matcher(Files.readString(OPERATIONS));
        while (names.find()) {
            documented.add(names.group(1).replaceAll("_(bucket|count|sum)$", ""));
        }
        Set<String> servedTotals = new LinkedHashSet<>();
        for (String family : served) {
            servedTotals.add(family);
            servedTotals.add(family + "_total");
        }
        List<String> missing = documented.stream().filter(name -> !servedTotals.contains(name)).toList();
        assertEquals(List.of(), missing, "documented in docs/OPERATIONS.md but not served");
        List<String> undocumented = served.stream()
            .filter(family -> !documented.contains(family) && !documented.contains(family + "_total")).toList();
        assertEquals(List.of(), undocumented, "served but not in docs/OPERATIONS.md");
    }

    /**
     * A bad address is a configuration error (3), a busy port a failure (1); in both cases no broker was started,
     * and with {@code powerhose} no worker either.
     */
    @Test
    void aBadOrBusyMetricsAddressIsAClearErrorAndStartsNothing() throws IOException {
        for (String bad : List.of("nonsense", "127.0.0.1:99999", "127.0.0.1:http", "no-such-host.invalid:9100")) {
            ManagedProcess broker = brokerCommand("--metrics", bad);
            assertEquals(ExitCodes.CONFIGURATION, broker.waitFor(Duration.ofSeconds(30)), bad + ": " + broker.log());
            assertTrue(broker.stderr().contains("powerhose-broker: --metrics " + bad), broker.log());
            assertFalse(Files.exists(Path.of(cluster.frontend().substring("ipc://".length()))), "no ipc file");
        }
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            ManagedProcess broker = brokerCommand("--metrics", address);
            assertEquals(ExitCodes.FAILED, broker.waitFor(Duration.ofSeconds(30)), broker.log());
            assertTrue(broker.stderr().contains("--metrics " + address + ": cannot listen"), broker.log());
            assertFalse(Files.exists(Path.of(cluster.frontend().substring("ipc://".length()))), "no ipc file");

            // powerhose (broker and workers): the same, before any worker process is started.
            ManagedProcess whole = cluster.startWithStderrApart("powerhose", JavaCommand.of(
                ClusterCommand.class.getName(), List.of("-XX:TieredStopAtLevel=1"), List.of("--frontend",
                    cluster.frontend(), "--backend", cluster.backend(), "--heartbeat", cluster.heartbeat(),
                    "--numprocesses", "2", "--metrics", address, TARGET)));
            assertEquals(ExitCodes.FAILED, whole.waitFor(Duration.ofSeconds(30)), whole.log());
            assertTrue(whole.stderr().contains("--metrics " + address + ": cannot listen"), whole.log());
            assertFalse(whole.log().contains("workers started") || whole.log().contains("worker pid"),
                "no worker started: " + whole.log());
            assertFalse(Files.exists(Path.of(cluster.frontend().substring("ipc://".length()))), "no ipc file");
        }
    }

    private ManagedProcess brokerCommand(String... args) {
        List<String> all = new ArrayList<>(List.of("--frontend", cluster.frontend(), "--backend", cluster.backend(),
            "--heartbeat", cluster.heartbeat()));
        all.addAll(List.of(args));
        return cluster.startWithStderrApart("broker", JavaCommand.of(BrokerCommand.class.getName(),
            List.of("-XX:TieredStopAtLevel=1"), all));
    }

    /**
     * Issue 16, "Tests", last item: unknown paths, other methods, garbage, headers over the limit and many
     * connections at once are answered or refused, the server still answers afterwards, and the jobs that run
     * meanwhile all succeed.
     */
    @Test
    void badHttpInputIsAnsweredOrRefusedAndTheJobPathIsUnaffected() throws Exception {
        int port = startBroker();
        cluster.startJavaWorker(TARGET);
        cluster.awaitWorkers(1);
        Client client = cluster.client();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong done = new AtomicLong();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            while (running.get()) {
                String data = "job " + done.get();
                if (!data.equals(client.execute(data))) {
                    throw new AssertionError("wrong result for " + data);
                }
                done.incrementAndGet();
            }
        });

        assertEquals(404, get(port, "/nope").statusCode());
        assertEquals(404, get(port, "/../../etc/passwd").statusCode());
        assertEquals(404, get(port, "/metrics/").statusCode());
        assertTrue(raw(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").startsWith(
            "HTTP/1.1 405"));
        assertTrue(raw(port, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 405"));
        assertTrue(raw(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 200"));
        String garbage = raw(port, "HELLO\r\n\r\n");
        assertTrue(garbage.isEmpty() || garbage.startsWith("HTTP/1.1 400"), garbage);
        String huge = raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(1 << 20) + "\r\n\r\n");
        assertFalse(huge.startsWith("HTTP/1.1 200"), "1 MiB of headers must be refused: " + huge);
        StringBuilder many = new StringBuilder("GET /metrics HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 1000; i++) {
            many.append("X-").append(i).append(": y\r\n");
        }
        assertFalse(raw(port, many.append("\r\n").toString()).startsWith("HTTP/1.1 200"), "1000 headers refused");

        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 400; i++) {
                try {
                    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
                    socket.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(
                        StandardCharsets.US_ASCII)); // and never the end of the headers
                    flood.add(socket);
                } catch (IOException refused) {
                    break; // refusing is allowed too
                }
            }
            long before = done.get();
            TestCluster.await(() -> done.get() >= before + 50, Duration.ofSeconds(20),
                () -> "jobs stalled while the HTTP server was flooded");
        } finally {
            for (Socket socket : flood) {
                socket.close();
            }
        }
        TestCluster.await(() -> {
            try {
                return get(port, "/metrics").statusCode() == 200;
            } catch (AssertionError e) {
                return false;
            }
        }, Duration.ofSeconds(20), () -> "the HTTP server did not recover after the flood");
        assertEquals(200, get(port, "/").statusCode());

        running.set(false);
        load.get(30, TimeUnit.SECONDS);
        assertTrue(done.get() > 50, "jobs ran: " + done.get());
        TestCluster.await(() -> scrape(port).value("powerhose_broker_jobs_answered_total{outcome=\"ok\"}")
            == done.get(), Duration.ofSeconds(10), () -> "the broker's count of OK jobs never reached " + done.get());
        PrometheusText m = scrape(port);
        assertEquals(done.get(), m.value("powerhose_broker_jobs_received_total"), "and nothing else came in");
        assertEquals(0, m.value("powerhose_broker_errors_internal_total"));
    }

    /** Sends raw bytes, returns what comes back before the server closes or 5 s pass (empty when it reset). */
    private static String raw(int port, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                socket.shutdownOutput();
            } catch (IOException reset) {
                return "";
            }
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[256];
            try {
                int n = in.read(buffer);
                return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
            } catch (IOException reset) {
                return "";
            }
        }
    }
}
