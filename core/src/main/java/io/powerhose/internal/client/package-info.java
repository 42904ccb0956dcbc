/**
 * The client's internals. {@code ClientConductor} runs on the {@code powerhose-client-io} thread and owns the
 * DEALER and the calls in flight; caller threads only enqueue {@code PendingCall}s. {@code Probe} opens its own
 * short-lived socket on the calling thread.
 */
package io.powerhose.internal.client;
