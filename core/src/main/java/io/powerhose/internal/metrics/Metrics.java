package io.powerhose.internal.metrics;

import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.IntSupplier;

/**
 * Makes each role's metrics: {@code NONE} without a registry, the Micrometer implementation with one. The only
 * place that names a Micrometer implementation class, so that none is loaded when no registry is given.
 */
public final class Metrics {
    private Metrics() {
    }

    /**
     * @param registry where the meters go, or null for none
     * @return the broker's metrics
     */
    public static BrokerMetrics broker(MeterRegistry registry) {
        return registry == null ? BrokerMetrics.NONE : new MicrometerBrokerMetrics(registry);
    }

    /**
     * @param registry where the meters go, or null for none
     * @param jobsHeld the jobs the client holds now (any thread)
     * @return a client's metrics
     */
    public static ClientMetrics client(MeterRegistry registry, IntSupplier jobsHeld) {
        return registry == null ? ClientMetrics.NONE : new MicrometerClientMetrics(registry, jobsHeld);
    }

    /**
     * @param registry where the meters go, or null for none
     * @return a worker's metrics
     */
    public static WorkerMetrics worker(MeterRegistry registry) {
        return registry == null ? WorkerMetrics.NONE : new MicrometerWorkerMetrics(registry);
    }

    /**
     * @param registry where the meters go, or null for none
     * @return a cluster's metrics
     */
    public static ClusterMetrics cluster(MeterRegistry registry) {
        return registry == null ? ClusterMetrics.NONE : new MicrometerClusterMetrics(registry);
    }
}
