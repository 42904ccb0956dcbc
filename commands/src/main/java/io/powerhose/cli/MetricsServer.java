package io.powerhose.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.powerhose.BrokerStatus;
import io.powerhose.ConfigurationException;
import io.powerhose.PowerhoseException;
import io.powerhose.internal.runner.ThreadRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The HTTP endpoint of {@code powerhose-broker --metrics} and {@code powerhose --metrics}: {@code /metrics} in the
 * Prometheus text format (the broker's meters, JVM and process metrics), the live status page at {@code /} (its
 * script and style are resources of this jar: no build step, no CDN) and {@code /status.json}, which the page polls.
 *
 * <p>Threads: the JDK's HTTP server ({@code com.sun.net.httpserver}) reads requests on its dispatcher thread and
 * answers them on two threads of its own, {@code powerhose-http-1} and {@code -2}, with a bounded queue. They read
 * only what the broker thread publishes ({@link BrokerStatus} snapshots, through the supplier) and the registry's
 * meters, which are thread safe: never the broker's live state. The sampler thread of {@link StatusHistory} keeps
 * the last two minutes of snapshots for rates. Requests are bounded before they reach a handler (header size and
 * count, time to send a request, connections: {@link #limitTheJdkServer()}); anything else than {@code GET} or
 * {@code HEAD} of a known path gets 405 or 404.
 *
 * <p>Lifecycle: {@link #bind} (fails at once on a bad or busy address, before anything else starts), then
 * {@link #serve} once the broker runs, then {@link #close()}.
 */
final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    /** Requests that wait for a handler thread beyond the two running; past it the connection is closed. */
    static final int QUEUED_REQUESTS = 64;
    private static final Map<String, String> RESOURCES = Map.of(
        "/", "status.html", "/index.html", "status.html", "/status.js", "status.js", "/status.css", "status.css");

    private final HttpServer server;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final ExecutorService handlers;
    private volatile Supplier<BrokerStatus> status = () -> null;
    private volatile StatusHistory history;
    private volatile String frontend = "";

    private MetricsServer(HttpServer server) {
        this.server = server;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        this.gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        AtomicInteger threads = new AtomicInteger();
        this.handlers = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUED_REQUESTS),
            r -> ThreadRole.HTTP.newThread(r, Integer.toString(threads.incrementAndGet())));
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
    }

    /**
     * Parses a {@code --metrics} value: {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code :PORT} (every interface).
     *
     * @param option the option's name, for messages
     * @param value the value
     * @return the address, resolved
     * @throws ConfigurationException saying what is wrong
     */
    static InetSocketAddress address(String option, String value) {
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigurationException(option + " " + value + ": expected HOST:PORT, e.g. 127.0.0.1:9100");
        }
        String host = value.substring(0, colon);
        String portText = value.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new ConfigurationException(option + " " + value + ": the port '" + portText + "' is not a number");
        }
        if (port < 0 || port > 65_535) {
            throw new ConfigurationException(option + " " + value + ": the port " + port + " is not 0 to 65535");
        }
        if (host.isEmpty() || host.equals("*")) {
            return new InetSocketAddress(port);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ConfigurationException(option + " " + value + ": unknown host " + host);
        }
    }

    /**
     * Listens on the address (not serving yet), so that a busy port fails before the broker starts.
     *
     * @param option the option's name, for messages
     * @param address where to listen
     * @return the server, listening
     * @throws PowerhoseException when the address cannot be bound (busy, not this host's)
     */
    static MetricsServer bind(String option, InetSocketAddress address) {
        limitTheJdkServer();
        HttpServer server;
        try {
            server = HttpServer.create(address, 64);
        } catch (BindException e) {
            throw new PowerhoseException(option + " " + text(address) + ": cannot listen: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PowerhoseException(option + " " + text(address) + ": cannot listen: " + e, e);
        }
        try {
            return new MetricsServer(server);
        } catch (RuntimeException e) {
            server.stop(0);
            throw e;
        }
    }

    /**
     * Bounds what a client of the JDK's server can make it hold, unless the JVM was told otherwise: headers (16 KiB,
     * 100 lines), the time to send a request (10 s) and to take an answer (30 s), open connections (256). The JDK
     * reads these once, when its server is first used: set before any server is made.
     */
    static void limitTheJdkServer() {
        setUnlessSet("sun.net.httpserver.maxReqHeaderSize", "16384");
        setUnlessSet("sun.net.httpserver.maxReqHeaders", "100");
        setUnlessSet("sun.net.httpserver.maxReqTime", "10");
        setUnlessSet("sun.net.httpserver.maxRspTime", "30");
        setUnlessSet("sun.net.httpserver.maxIdleConnections", "32");
        setUnlessSet("jdk.httpserver.maxConnections", "256");
    }

    private static void setUnlessSet(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** @return where the broker's meters go; the JVM's and the process's are bound already */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** @return the port it listens on (the one chosen when bound to port 0) */
    int port() {
        return server.getAddress().getPort();
    }

    /** @return the page's address, as logged, e.g. {@code http://127.0.0.1:9100/} */
    String url() {
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().isAnyLocalAddress() ? "0.0.0.0" : address.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort() + "/";
    }

    /**
     * Starts answering.
     *
     * @param broker the latest published snapshot of the broker (any thread; null while there is none)
     * @param brokerFrontend the broker's frontend, for the page's title
     */
    void serve(Supplier<BrokerStatus> broker, String brokerFrontend) {
        this.frontend = brokerFrontend;
        this.status = broker;
        this.history = StatusHistory.start(broker);
        server.start();
        LOG.info("metrics on {}metrics, status page on {}", url(), url());
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        StatusHistory current = history;
        if (current != null) {
            current.close();
        }
        gcMetrics.close();
        registry.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", utf8("405 method not allowed: " + clip(method)
                    + "\n"));
                return;
            }
            if (path.equals("/metrics")) {
                send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", utf8(registry.scrape()));
            } else if (path.equals("/status.json")) {
                BrokerStatus snapshot = status.get();
                if (snapshot == null) {
                    send(exchange, 503, "application/json", utf8("{\"error\":\"the broker is starting\"}"));
                } else {
                    send(exchange, 200, "application/json", utf8(StatusJson.render(snapshot, frontend, history,
                        registry)));
                }
            } else if (RESOURCES.containsKey(path)) {
                String name = RESOURCES.get(path);
                send(exchange, 200, contentType(name), resource(name));
            } else {
                send(exchange, 404, "text/plain; charset=utf-8", utf8("404 not found; try / (the status page), "
                    + "/metrics (Prometheus) or /status.json\n"));
            }
        } catch (IOException e) {
            LOG.debug("HTTP exchange failed: {}", e.toString()); // the client went away
        } catch (RuntimeException e) {
            LOG.warn("HTTP request failed: {}", e.toString(), e);
        }
    }

    private static void send(HttpExchange exchange, int code, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(code, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = MetricsServer.class.getResourceAsStream("status/" + name)) {
            if (in == null) {
                throw new IOException("resource io/powerhose/cli/status/" + name + " missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        return "text/css; charset=utf-8";
    }

    private static String clip(String text) {
        return text.length() > 32 ? text.substring(0, 32) + "..." : text;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(InetSocketAddress address) {
        return (address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress())
            + ":" + address.getPort();
    }
}
