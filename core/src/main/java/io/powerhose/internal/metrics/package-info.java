/**
 * Metrics: a tiny interface per role ({@code BrokerMetrics}, {@code ClientMetrics}, {@code WorkerMetrics},
 * {@code ClusterMetrics}) that the engine calls where it already changes state, each with a {@code NONE} that does
 * nothing, and their Micrometer implementations ({@code Micrometer*}), made by {@code Metrics} only when a
 * {@code MeterRegistry} was given: without one, no Micrometer class is ever loaded (Micrometer is an optional
 * dependency) and the hot paths pay one call of an empty method, which the JIT removes.
 *
 * <p>Threads: {@code BrokerMetrics} is called on {@code powerhose-broker} only; its meters' values are read by
 * whichever thread scrapes the registry, from the {@code BrokerStatus} the broker thread published (never from the
 * broker's live state). {@code ClientMetrics} is called on {@code powerhose-client-io} and on caller threads,
 * {@code WorkerMetrics} on the threads that run jobs and on {@code powerhose-worker}; Micrometer's meters are thread
 * safe. Names and meanings: docs/OPERATIONS.md, "Metrics".
 */
package io.powerhose.internal.metrics;
