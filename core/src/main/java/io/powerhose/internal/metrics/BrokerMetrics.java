package io.powerhose.internal.metrics;

import io.powerhose.BrokerStatus;

/**
 * What the broker records beyond its counters (which the metrics read from the published {@link BrokerStatus}):
 * the time each job waited in the queue and the time its worker took. Called on the broker thread only.
 */
public interface BrokerMetrics {
    /** Records nothing: the broker's metrics when no registry was given. */
    BrokerMetrics NONE = new BrokerMetrics() {
        @Override
        public void onJobRouted(long queueWaitNs) {
        }

        @Override
        public void onJobAnswered(long serviceNs) {
        }

        @Override
        public void onStatus(BrokerStatus status) {
        }

        @Override
        public void close() {
        }
    };

    /**
     * A job left the broker for a worker.
     *
     * @param queueWaitNs the time since it arrived (0 for a job routed at once; a retried job counts from its
     *     first arrival)
     */
    void onJobRouted(long queueWaitNs);

    /**
     * A worker answered a job it held (OK or ERROR).
     *
     * @param serviceNs the time from sending the job to the worker to its answer
     */
    void onJobAnswered(long serviceNs);

    /**
     * The broker thread published a new snapshot: the meters read their values from the latest one.
     *
     * @param status the snapshot
     */
    void onStatus(BrokerStatus status);

    /** The broker stopped: its meters leave the registry. */
    void close();
}
