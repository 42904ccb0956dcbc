/**
 * The client's internals. {@code ClientConductor} runs on the {@code powerhose-client-io} thread and owns the
 * DEALER, the calls not sent yet and the calls in flight; caller threads only take room in the {@code CallLimit} and
 * enqueue {@code PendingCall}s (and cancellations). {@code Probe} opens its own short-lived socket on the calling
 * thread.
 */
package io.powerhose.internal.client;
