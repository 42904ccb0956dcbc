/**
 * ZeroMQ plumbing: native library loading, socket helpers, the wake-up pipe and the socket monitor. Each socket
 * helper must be called by the thread that owns the socket.
 */
package io.powerhose.internal.zmq;
