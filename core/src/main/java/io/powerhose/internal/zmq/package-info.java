/**
 * ZeroMQ plumbing: native library loading, our JNI layer ({@code Native}: whole messages, the options jzmq
 * refuses, CURVE keys and Z85), socket helpers, the wake-up pipe and the socket monitor. jzmq stays the context,
 * socket and poller layer. Each socket helper must be called by the thread that owns the socket.
 */
package io.powerhose.internal.zmq;
