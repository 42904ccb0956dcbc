package io.powerhose.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** {@link ClusterMetrics} on Micrometer. */
final class MicrometerClusterMetrics implements ClusterMetrics {
    private final Counter restarts;

    MicrometerClusterMetrics(MeterRegistry registry) {
        this.restarts = Counter.builder("powerhose.cluster.worker.restarts")
            .description("Worker processes started again after the one before them in their slot exited")
            .register(registry);
    }

    @Override
    public void onWorkerRestarted() {
        restarts.increment();
    }
}
