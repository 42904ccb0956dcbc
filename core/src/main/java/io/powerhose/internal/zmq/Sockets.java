package io.powerhose.internal.zmq;

import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.util.ArrayList;
import java.util.List;

/**
 * Socket helpers: multipart send and receive without blocking, and socket creation with the options
 * every Powerhose socket uses. Each call must come from the thread that owns the socket.
 */
public final class Sockets {
    /** libzmq's EHOSTUNREACH, raised by a ROUTER_MANDATORY socket for an unknown peer. */
    public static final int EHOSTUNREACH = 113;
    private static final byte[][] NO_FRAMES = new byte[0][];

    private Sockets() {
    }

    /**
     * Creates a socket with linger 0 and no high-water mark limits beyond {@code hwm}.
     *
     * @param context the context
     * @param type the socket type, e.g. {@link ZMQ#ROUTER}
     * @param hwm send and receive high-water mark (0 means no limit)
     * @return the socket
     */
    public static ZMQ.Socket create(ZMQ.Context context, int type, long hwm) {
        ZMQ.Socket socket = context.socket(type);
        socket.setLinger(0);
        socket.setSndHWM(hwm);
        socket.setRcvHWM(hwm);
        return socket;
    }

    /**
     * Receives one whole message without waiting.
     *
     * @param socket the socket
     * @return the frames, or an empty array when nothing is waiting
     */
    public static byte[][] receive(ZMQ.Socket socket) {
        byte[] first = socket.recv(ZMQ.DONTWAIT);
        if (first == null) {
            return NO_FRAMES;
        }
        if (!socket.hasReceiveMore()) {
            return new byte[][] {first};
        }
        List<byte[]> frames = new ArrayList<>(6);
        frames.add(first);
        do {
            frames.add(socket.recv(0));
        } while (socket.hasReceiveMore());
        return frames.toArray(NO_FRAMES);
    }

    /**
     * Sends a message, optionally prefixed by a routing id, without waiting.
     *
     * @param socket the socket
     * @param routingId the peer's routing id for a ROUTER socket, or null
     * @param frames the frames
     * @return true when sent; false when the peer is unknown (EHOSTUNREACH) or its queue is full (EAGAIN)
     */
    public static boolean send(ZMQ.Socket socket, byte[] routingId, byte[][] frames) {
        try {
            if (routingId != null && !socket.send(routingId, ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
                return false;
            }
            int last = frames.length - 1;
            for (int i = 0; i < last; i++) {
                socket.send(frames[i], ZMQ.SNDMORE);
            }
            return socket.send(frames[last], 0);
        } catch (ZMQException e) {
            if (e.getErrorCode() == EHOSTUNREACH) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Converts the time left until a deadline into a {@code zmq_poll} timeout: 0 when the deadline has passed,
     * else whole milliseconds rounded up (so that a poll never wakes just before its deadline and spins).
     *
     * @param waitNs nanoseconds until the deadline (may be negative)
     * @return the poll timeout in milliseconds
     */
    public static long pollTimeoutMs(long waitNs) {
        return waitNs <= 0 ? 0 : Math.max(1, (waitNs + 999_999) / 1_000_000);
    }
}
