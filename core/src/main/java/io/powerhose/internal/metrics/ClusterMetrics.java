package io.powerhose.internal.metrics;

/** What a cluster's supervisor records. Called on its thread ({@code powerhose-cluster}). */
public interface ClusterMetrics {
    /** Records nothing: a cluster's metrics when no registry was given. */
    ClusterMetrics NONE = () -> {
    };

    /** A worker process was started again in its slot, after the one before exited. */
    void onWorkerRestarted();
}
