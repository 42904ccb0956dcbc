/**
 * Powerhose: hand CPU-bound jobs to worker processes through a ZeroMQ broker. What users touch: {@link
 * io.powerhose.Client}, {@link io.powerhose.Pool}, {@link io.powerhose.Broker}, {@link io.powerhose.Worker},
 * {@link io.powerhose.Cluster}, {@link io.powerhose.Job}, {@link io.powerhose.JobHandler}, their options
 * builders, and the {@link io.powerhose.PowerhoseException} hierarchy. Each class states its thread safety;
 * docs/THREADING.md lists every thread.
 */
package io.powerhose;
