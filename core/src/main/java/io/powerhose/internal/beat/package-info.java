/**
 * A beat on its own, outside a broker and a worker: {@code Heartbeat} publishes one on a PUB socket from its
 * {@code powerhose-heartbeat} thread, {@code Stethoscope} listens on a SUB socket from its
 * {@code powerhose-stethoscope} thread and reports when it is lost (the Powerhose 0.x classes of the same names).
 * The broker and the worker do the same on their own socket threads and use neither.
 */
package io.powerhose.internal.beat;
