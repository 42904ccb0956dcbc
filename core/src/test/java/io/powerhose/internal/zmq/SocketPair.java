package io.powerhose.internal.zmq;

import org.zeromq.ZMQ;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two real libzmq sockets, one bound and one connected, on a fresh ipc endpoint in a test's temp folder, with
 * their own context. Closed by the test (try-with-resources); used by the test's thread only.
 */
final class SocketPair implements AutoCloseable {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    final ZMQ.Context context = ZMQ.context(1);
    final ZMQ.Socket bound;
    final ZMQ.Socket connected;
    final String endpoint;

    SocketPair(Path dir, int boundType, int connectedType) {
        this(dir, boundType, connectedType, 0);
    }

    /** With a send and receive high-water mark on both sockets (set before they connect, as libzmq needs). */
    SocketPair(Path dir, int boundType, int connectedType, long hwm) {
        NativeLibrary.load();
        endpoint = "ipc://" + dir.resolve("pair-" + SEQUENCE.incrementAndGet() + ".ipc");
        bound = Sockets.create(context, boundType, hwm);
        connected = Sockets.create(context, connectedType, hwm);
        bound.bind(endpoint);
        connected.connect(endpoint);
    }

    /** Sends one message from the connected side and waits for it on the bound side: both have a pipe. */
    SocketPair handshake() {
        Sockets.send(connected, null, new byte[][] {{'h', 'i'}});
        Sockets.receiveWaiting(bound);
        return this;
    }

    @Override
    public void close() {
        bound.close();
        connected.close();
        context.term();
    }
}
