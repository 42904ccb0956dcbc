/**
 * The broker's internals. {@code BrokerConductor} runs on the {@code powerhose-broker} thread and owns the
 * sockets; {@code Dispatcher} is its socket-free state machine, called only on that thread.
 */
package io.powerhose.internal.broker;
