package io.powerhose.internal.zmq;

import org.zeromq.ZMQ;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches a socket's connections through libzmq's socket monitor, so that the owner thread learns at once
 * when its peer (the broker) goes away or comes back. Owned by the thread that owns the watched socket.
 */
public final class Monitor implements AutoCloseable {
    /** libzmq 4.x ZMQ_EVENT_CONNECTED. */
    public static final int EVENT_CONNECTED = 0x0001;
    /** libzmq 4.x ZMQ_EVENT_DISCONNECTED. */
    public static final int EVENT_DISCONNECTED = 0x0200;
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final ZMQ.Socket events;

    /**
     * Starts monitoring connect and disconnect events of a socket.
     *
     * @param context the socket's context
     * @param watched the socket to watch
     */
    public Monitor(ZMQ.Context context, ZMQ.Socket watched) {
        String endpoint = "inproc://powerhose-monitor-" + SEQUENCE.incrementAndGet();
        watched.monitor(endpoint, EVENT_CONNECTED | EVENT_DISCONNECTED);
        events = Sockets.create(context, ZMQ.PAIR, 0);
        events.connect(endpoint);
    }

    /**
     * Registers the event socket with the owner's poller.
     *
     * @param poller the poller
     * @return the poll item index
     */
    public int register(ZMQ.Poller poller) {
        return poller.register(events, ZMQ.Poller.POLLIN);
    }

    /**
     * Reads one pending event without waiting.
     *
     * @return the event id ({@link #EVENT_CONNECTED}, {@link #EVENT_DISCONNECTED}), or 0 when none is pending
     */
    public int poll() {
        byte[][] frames = Sockets.receive(events);
        if (frames.length == 0 || frames[0].length < 2) {
            return 0;
        }
        return (frames[0][0] & 0xff) | ((frames[0][1] & 0xff) << 8);
    }

    @Override
    public void close() {
        Sockets.close(events);
    }
}
