package io.powerhose.jmh;

import io.powerhose.Broker;
import io.powerhose.BrokerOptions;
import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.Cluster;
import io.powerhose.ClusterOptions;
import io.powerhose.WorkerInfo;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * What one benchmark trial runs against: a broker, its workers (none for a ping trial) and one client, on
 * fresh endpoints; {@link #close()} stops them all. Built and closed by the thread that runs JMH's
 * {@code @Setup}/{@code @TearDown}; the client is shared by the benchmark threads (it is thread safe).
 */
final class Trial implements AutoCloseable {
    /** The system property naming the folder of the C workers; {@link Bench} sets it. */
    static final String NATIVE_DIR_PROPERTY = "powerhose.native.dir";

    /** Jobs are done when a trial stops; a short grace keeps a worker slow to exit from costing seconds. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(1);

    final Endpoints endpoints;
    final Cluster cluster;
    final Broker broker;
    final Client client;
    /** The libzmq threads of this JVM before the client was made: the broker's (for {@link CpuMeter}). */
    final Set<String> brokerZmqThreads;

    /** The registry the broker and the client record into, or null with metrics off. */
    final PrometheusMeterRegistry registry;

    private Trial(Endpoints endpoints, Cluster cluster, Broker broker, PrometheusMeterRegistry registry) {
        this.endpoints = endpoints;
        this.cluster = cluster;
        this.broker = broker;
        this.registry = registry;
        this.brokerZmqThreads = CpuMeter.zmqThreadIds();
        // Generous timeouts: a benchmark measures, it must not fail a slow job on a noisy machine.
        this.client = new Client(ClientOptions.builder().frontend(endpoints.frontend())
            .timeout(Duration.ofSeconds(60)).timeoutMaxOverflow(Duration.ofSeconds(90)).meterRegistry(registry)
            .build());
    }

    /**
     * Starts a broker and {@code workers} worker processes.
     *
     * @param transport ipc or tcp
     * @param worker "java" to run {@code target} in Java workers, "c" to run the C echo worker
     * @param target the Java workers' target
     * @param workers how many worker processes
     */
    static Trial cluster(String transport, String worker, String target, int workers) {
        return cluster(transport, worker, target, workers, false);
    }

    /**
     * Starts a broker and {@code workers} worker processes, with or without metrics.
     *
     * @param transport ipc or tcp
     * @param worker "java" or "c"
     * @param target the Java workers' target
     * @param workers how many worker processes
     * @param metrics whether the broker and the client record into a Prometheus registry (as
     *     {@code powerhose --metrics} does); the worker processes record nothing either way
     */
    static Trial cluster(String transport, String worker, String target, int workers, boolean metrics) {
        Function<Endpoints, Trial> start = e -> {
            PrometheusMeterRegistry registry = metrics ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
            ClusterOptions.Builder builder = worker.equals("c")
                ? ClusterOptions.builderForCommand(List.of(cEchoWorker().toString()))
                : ClusterOptions.builder(target);
            Cluster cluster = Cluster.start(builder.numProcesses(workers).background(true)
                .frontend(e.frontend()).backend(e.backend()).heartbeat(e.heartbeat())
                .logfile(e.dir().resolve("worker.log").toString()).timeout(Duration.ofSeconds(60))
                .stopGrace(STOP_GRACE).meterRegistry(registry).build());
            return new Trial(e, cluster, null, registry);
        };
        return withRetries(transport, start);
    }

    /** Starts a broker alone: the client-broker leg. */
    static Trial brokerOnly(String transport) {
        return withRetries(transport, e -> new Trial(e, null, Broker.start(BrokerOptions.builder()
            .frontend(e.frontend()).backend(e.backend()).heartbeat(e.heartbeat()).build()), null));
    }

    private static Trial withRetries(String transport, Function<Endpoints, Trial> start) {
        Endpoints endpoints = Endpoints.create(transport);
        int attempts = transport.equals("tcp") ? Endpoints.TCP_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            try {
                return start.apply(endpoints);
            } catch (RuntimeException e) {
                if (attempt >= attempts) {
                    endpoints.delete();
                    throw e;
                }
                System.err.println("[powerhose] set-up on " + endpoints.frontend() + " failed (" + e
                    + "); trying other ports");
                endpoints = endpoints.next();
            }
        }
    }

    /** @return the C echo worker: in {@code powerhose.native.dir}, else native/build above the working dir */
    static Path cEchoWorker() {
        String dir = System.getProperty(NATIVE_DIR_PROPERTY);
        if (dir != null && !dir.isEmpty()) {
            return Path.of(dir, "powerhose-worker-echo").toAbsolutePath();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("native/build/powerhose-worker-echo");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("native/build/powerhose-worker-echo not found: run make -C native, or set -D"
            + NATIVE_DIR_PROPERTY);
    }

    /** @return the pids of the worker processes now */
    List<Long> workerPids() {
        return cluster == null ? List.of() : cluster.workers().stream().map(WorkerInfo::pid).toList();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            try {
                if (cluster != null) {
                    cluster.stop();
                }
                if (broker != null) {
                    broker.close();
                }
                if (registry != null) {
                    registry.close();
                }
            } finally {
                endpoints.delete();
            }
        }
    }
}
