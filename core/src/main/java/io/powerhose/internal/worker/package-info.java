/**
 * The Java worker's internals. {@code WorkerConductor} runs on the {@code powerhose-worker} thread and owns the
 * DEALER, the SUB and the I/O ends of the job runners' PAIRs; each {@code JobRunner} runs on its own {@code
 * powerhose-job-N} thread.
 */
package io.powerhose.internal.worker;
