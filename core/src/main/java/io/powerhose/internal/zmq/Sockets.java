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
    /** libzmq's EINTR: a blocking call was interrupted by a signal (a profiler's, a debugger's, a handler's). */
    public static final int EINTR = 4;
    /** libzmq's EINVAL; jzmq also reports with it a frame it could not copy into a Java array (heap full). */
    public static final int EINVAL = 22;
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
        byte[] first = recv(socket, ZMQ.DONTWAIT);
        if (first == null) {
            return NO_FRAMES;
        }
        if (!socket.hasReceiveMore()) {
            return new byte[][] {first};
        }
        List<byte[]> frames = new ArrayList<>(6);
        frames.add(first);
        do {
            frames.add(recv(socket, 0));
        } while (socket.hasReceiveMore());
        return frames.toArray(NO_FRAMES);
    }

    /** {@link #offer}: the message was queued for the peer. */
    public static final int SENT = 0;
    /** {@link #offer}: the peer's queue is at its high-water mark (EAGAIN); nothing was sent. */
    public static final int FULL = 1;
    /** {@link #offer}: no such peer, or its connection is closing (EHOSTUNREACH); nothing was sent. */
    public static final int UNREACHABLE = 2;

    /**
     * Sends a message, optionally prefixed by a routing id. With a routing id (ROUTER) it never waits: a full queue
     * (EAGAIN) or an unknown peer (EHOSTUNREACH) returns false. Without one (DEALER, PAIR, PUB) it waits for room,
     * which an unlimited queue always has: use {@link #trySend} on a socket whose queue can fill.
     *
     * @param socket the socket
     * @param routingId the peer's routing id for a ROUTER socket, or null
     * @param frames the frames
     * @return true when sent; false when the peer is unknown (EHOSTUNREACH) or its queue is full (EAGAIN)
     */
    public static boolean send(ZMQ.Socket socket, byte[] routingId, byte[][] frames) {
        return offer(socket, routingId, frames) == SENT;
    }

    /**
     * Sends a message, optionally prefixed by a routing id, without waiting, and says why it was not sent.
     *
     * @param socket the socket
     * @param routingId the peer's routing id for a ROUTER socket (with ROUTER_MANDATORY), or null
     * @param frames the frames
     * @return {@link #SENT}, {@link #FULL} or {@link #UNREACHABLE}
     */
    public static int offer(ZMQ.Socket socket, byte[] routingId, byte[][] frames) {
        try {
            if (routingId != null && !send(socket, routingId, ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
                return FULL;
            }
            int last = frames.length - 1;
            for (int i = 0; i < last; i++) {
                send(socket, frames[i], ZMQ.SNDMORE);
            }
            return send(socket, frames[last], 0) ? SENT : FULL;
        } catch (ZMQException e) {
            if (e.getErrorCode() == EHOSTUNREACH) {
                return UNREACHABLE;
            }
            throw e;
        }
    }

    /**
     * Discards what is left of a message after a receive failed part-way through it (jzmq reports a frame the heap
     * cannot hold as EINVAL, after taking it from libzmq), so that the next receive starts at a message boundary.
     *
     * @param socket the socket
     */
    public static void discardRestOfMessage(ZMQ.Socket socket) {
        while (socket.hasReceiveMore()) {
            try {
                recv(socket, 0);
            } catch (ZMQException e) {
                if (e.getErrorCode() != EINVAL) {
                    throw e;
                }
            }
        }
    }

    /**
     * Sends a whole message only if there is room for it now; never waits. Only the first frame can find no room:
     * libzmq takes the rest of a message once it took its first frame (high-water marks count whole messages).
     *
     * @param socket a socket without routing ids (DEALER, PAIR, PUB)
     * @param frames the frames, at least one
     * @return true when sent; false when there is no room (EAGAIN: the queue is full, or a socket that queues only on
     *         live connections has none)
     */
    public static boolean trySend(ZMQ.Socket socket, byte[][] frames) {
        int last = frames.length - 1;
        if (!send(socket, frames[0], (last > 0 ? ZMQ.SNDMORE : 0) | ZMQ.DONTWAIT)) {
            return false;
        }
        for (int i = 1; i < last; i++) {
            send(socket, frames[i], ZMQ.SNDMORE);
        }
        return last == 0 || send(socket, frames[last], 0);
    }

    /** One frame; a signal that interrupts libzmq (EINTR) means the frame was not taken: try again. */
    private static boolean send(ZMQ.Socket socket, byte[] frame, int flags) {
        while (true) {
            try {
                return socket.send(frame, flags);
            } catch (ZMQException e) {
                if (e.getErrorCode() != EINTR) {
                    throw e;
                }
            }
        }
    }

    /** One frame, or null when DONTWAIT finds none; EINTR (a signal) is retried. */
    private static byte[] recv(ZMQ.Socket socket, int flags) {
        while (true) {
            try {
                return socket.recv(flags);
            } catch (ZMQException e) {
                if (e.getErrorCode() != EINTR) {
                    throw e;
                }
            }
        }
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
     * Receives one frame, waiting for it; a signal that interrupts the wait does not end it.
     *
     * @param socket the socket
     * @return the frame
     */
    public static byte[] receiveFrame(ZMQ.Socket socket) {
        byte[] frame;
        do {
            frame = recv(socket, 0);
        } while (frame == null);
        return frame;
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
