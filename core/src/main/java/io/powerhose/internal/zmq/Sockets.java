package io.powerhose.internal.zmq;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.util.Objects;

/**
 * Socket helpers: whole multipart messages in and out through {@link Native} (one JNI call per message, or per
 * batch of messages), and socket creation with the options every Powerhose socket uses. Each call must come
 * from the thread that owns the socket. Expected outcomes are return values (nothing waiting, a full queue, an
 * unknown peer); a closed socket or a terminated context is a {@link io.powerhose.TransportException}.
 */
public final class Sockets {
    /** libzmq's EHOSTUNREACH, raised by a ROUTER_MANDATORY socket for an unknown peer. */
    public static final int EHOSTUNREACH = Native.EHOSTUNREACH;
    /** libzmq's EINTR: a blocking call was interrupted by a signal (a profiler's, a debugger's, a handler's). */
    public static final int EINTR = Native.EINTR;
    private static final Logger LOG = LoggerFactory.getLogger(Sockets.class);
    private static final byte[][] NO_FRAMES = new byte[0][];

    static {
        NativeLibrary.load();
    }

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
        byte[][][] message = new byte[1][][];
        return receive(socket, null, message, 1, Native.DONTWAIT) == 1 ? message[0] : NO_FRAMES;
    }

    /**
     * Receives one whole message, waiting for it; a signal that interrupts the wait does not end it.
     *
     * @param socket the socket
     * @return the frames
     */
    public static byte[][] receiveWaiting(ZMQ.Socket socket) {
        byte[][][] message = new byte[1][][];
        while (receive(socket, null, message, 1, 0) != 1) {
            // only a receive timeout (never set on our sockets) returns with nothing
        }
        return message[0];
    }

    /**
     * Receives the messages waiting, up to {@code max}, in one call, without waiting.
     *
     * @param socket the socket
     * @param messages where message {@code i} goes (the caller should null the slots it has read, so that the
     *     buffer does not keep old messages alive)
     * @param max at most this many (and at most {@code messages.length})
     * @return how many were received; 0 when none was waiting
     */
    public static int receiveBatch(ZMQ.Socket socket, byte[][][] messages, int max) {
        return receive(socket, null, Objects.requireNonNull(messages, "messages"), max, Native.DONTWAIT);
    }

    /**
     * Receives the messages waiting on a ROUTER, up to {@code max}, in one call, without waiting, each split
     * into its routing id and the frames after it (no copy of the frame array).
     *
     * @param socket the ROUTER
     * @param routingIds where message {@code i}'s routing id goes
     * @param bodies where message {@code i}'s other frames go (an empty array when it had none)
     * @param max at most this many (and at most the length of either array)
     * @return how many were received; 0 when none was waiting
     */
    public static int receiveBatch(ZMQ.Socket socket, byte[][] routingIds, byte[][][] bodies, int max) {
        Objects.requireNonNull(routingIds, "routingIds");
        return receive(socket, routingIds, Objects.requireNonNull(bodies, "bodies"), max, Native.DONTWAIT);
    }

    private static int receive(ZMQ.Socket socket, byte[][] firstFrames, byte[][][] messages, int max, int flags) {
        while (true) {
            int received = Native.receive(socket, firstFrames, messages, max, flags);
            if (received >= 0) {
                return received;
            }
            if (received == -Native.EMSGSIZE) {
                LOG.warn("dropped a message with a frame over 2 GiB (no Java array holds it); set ZMQ_MAXMSGSIZE");
                continue;
            }
            if (received == -Native.EINVAL) {
                throw new IllegalArgumentException("receive: max=" + max + " and buffers of " + messages.length
                    + " messages: " + Native.describe(Native.EINVAL));
            }
            throw Native.failure("receive", -received);
        }
    }

    /**
     * Sends a whole message, optionally prefixed by a routing id, in one call. With a routing id it does not
     * wait: the message goes whole or not at all. Without one it waits for room (our DEALER, PUB and PAIR
     * sockets have no high-water mark, so that only waits while an inproc peer connects).
     *
     * @param socket the socket
     * @param routingId the peer's routing id for a ROUTER socket, or null
     * @param frames the frames
     * @return true when sent; false when the peer is unknown (EHOSTUNREACH) or its queue is full (EAGAIN)
     */
    public static boolean send(ZMQ.Socket socket, byte[] routingId, byte[][] frames) {
        Objects.requireNonNull(frames, "frames");
        int rc = Native.send(socket, routingId, frames, routingId != null ? Native.DONTWAIT : 0);
        if (rc == 0) {
            return true;
        }
        if (rc == Native.EHOSTUNREACH || rc == Native.EAGAIN) {
            return false;
        }
        if (rc == Native.EINVAL) {
            throw new IllegalArgumentException("send: a null frame, or no frame (" + frames.length + " frames"
                + (routingId != null ? " after a routing id" : "") + "): " + Native.describe(rc));
        }
        throw Native.failure("send", rc);
    }

    /**
     * Polls, treating a signal that interrupts the wait as a wake-up with nothing ready. A signal handled in
     * the process (a profiler's SIGPROF, a {@code sun.misc.Signal} handler) makes {@code zmq_poll} fail with
     * EINTR; the owner's loop must carry on, not die.
     *
     * @param poller the owner's poller
     * @param timeoutMs the poll timeout in milliseconds (-1 waits for ever)
     * @return the number of ready items; 0 after a timeout or a signal
     */
    public static int poll(ZMQ.Poller poller, long timeoutMs) {
        try {
            return poller.poll(timeoutMs);
        } catch (ZMQException e) {
            if (e.getErrorCode() == EINTR) {
                return 0;
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
