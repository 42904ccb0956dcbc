package io.powerhose.internal.zmq;

import io.powerhose.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.util.Arrays;
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
    /** {@link #offer}: the message was queued for the peer. */
    public static final int SENT = 0;
    /** {@link #offer}: the peer's queue is at its high-water mark (EAGAIN); nothing was sent. */
    public static final int FULL = 1;
    /** {@link #offer}: no such peer, or its connection is closing (EHOSTUNREACH); nothing was sent. */
    public static final int UNREACHABLE = 2;
    private static final Logger LOG = LoggerFactory.getLogger(Sockets.class);
    private static final byte[][] NO_FRAMES = new byte[0][];
    /** Each thread's packing buffers: a socket's owner thread is the only one that uses them for that socket. */
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

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
        assert SocketOwners.claim(socket);
        socket.setLinger(0);
        socket.setSndHWM(hwm);
        socket.setRcvHWM(hwm);
        return socket;
    }

    /**
     * Closes a socket, on its owner thread. Its linger decides what happens to what it has not sent yet.
     *
     * @param socket the socket, or null
     */
    public static void close(ZMQ.Socket socket) {
        if (socket != null) {
            assert SocketOwners.release(socket);
            socket.close();
        }
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
        assert SocketOwners.check(socket, "receive");
        Buffers buffers = BUFFERS.get();
        int limit = Math.min(max, Math.min(messages.length, firstFrames == null ? max : firstFrames.length));
        while (true) {
            int received;
            try {
                received = limit < 1 ? -Native.EINVAL
                    : Native.receivePacked(socket, buffers.in, buffers.layout, buffers.large, limit, flags);
            } catch (OutOfMemoryError e) {
                // A frame within ZMQ_MAXMSGSIZE that the heap cannot hold: libzmq already gave up the messages of
                // this batch, so they are lost; the owner's loop counts it and carries on (it never dies of input).
                throw new TransportException("receive: a message too large for the free heap was dropped ("
                    + e.getMessage() + ")", Native.ENOMEM);
            }
            if (received >= 0) {
                buffers.unpack(received, firstFrames, messages);
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
     * Sends a whole message, optionally prefixed by a routing id, in one call: the message goes whole or not at all.
     * With a routing id (ROUTER) it never waits: a full queue (EAGAIN) or an unknown peer (EHOSTUNREACH) returns
     * false. Without one (DEALER, PAIR, PUB) it waits for room, which an unlimited queue always has: use
     * {@link #trySend} on a socket whose queue can fill.
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
     * Sends a whole message, optionally prefixed by a routing id, and says why it was not sent. With a routing id it
     * does not wait; without one it waits for room, as {@link #send} does.
     *
     * @param socket the socket
     * @param routingId the peer's routing id for a ROUTER socket (with ROUTER_MANDATORY), or null
     * @param frames the frames
     * @return {@link #SENT}, {@link #FULL} or {@link #UNREACHABLE}
     */
    public static int offer(ZMQ.Socket socket, byte[] routingId, byte[][] frames) {
        int rc = sendWhole(socket, routingId, frames, routingId != null ? Native.DONTWAIT : 0);
        return rc == 0 ? SENT : rc == Native.EHOSTUNREACH ? UNREACHABLE : FULL;
    }

    /**
     * Sends a whole message only if there is room for it now; never waits.
     *
     * @param socket a socket without routing ids (DEALER, PAIR, PUB)
     * @param frames the frames, at least one
     * @return true when sent; false when there is no room (EAGAIN: the queue is full, or a socket that queues only on
     *         live connections has none)
     */
    public static boolean trySend(ZMQ.Socket socket, byte[][] frames) {
        return sendWhole(socket, null, frames, Native.DONTWAIT) == 0;
    }

    /** One native call; 0, EAGAIN or EHOSTUNREACH, or throws for anything else. */
    private static int sendWhole(ZMQ.Socket socket, byte[] routingId, byte[][] frames, int flags) {
        Objects.requireNonNull(frames, "frames");
        assert SocketOwners.check(socket, "send");
        Buffers buffers = BUFFERS.get();
        int rc = buffers.pack(routingId, frames) ? Native.sendPacked(socket, buffers.out, buffers.lengths,
            frames.length + (routingId != null ? 1 : 0), flags) : Native.send(socket, routingId, frames, flags);
        if (rc == 0 || rc == Native.EHOSTUNREACH || rc == Native.EAGAIN) {
            return rc;
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
        assert SocketOwners.check(poller);
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

    /**
     * The buffers that carry small frames across JNI in a fixed number of calls per batch (see
     * {@code receivePacked} and {@code sendPacked} in powerhose_jni.c): JNI calls per frame, and arrays allocated
     * and zeroed by JNI, were most of the broker's receive time (async-profiler). Frames of 8 KiB and more skip
     * them, so that they are copied once. One per thread; never shared.
     */
    private static final class Buffers {
        final byte[] in = new byte[64 * 1024];
        final int[] layout = new int[4096];
        final byte[][][] large = new byte[1024][][];
        final byte[] out = new byte[64 * 1024];
        final int[] lengths = new int[64];

        /** Makes the messages of the last receivePacked from the buffers. */
        void unpack(int received, byte[][] firstFrames, byte[][][] messages) {
            int at = 0;
            int offset = 0;
            for (int i = 0; i < received; i++) {
                int count = layout[at++];
                if (count < 0) {
                    byte[][] whole = large[i];
                    large[i] = null;
                    if (firstFrames != null) {
                        firstFrames[i] = whole.length > 0 ? whole[0] : new byte[0];
                        whole = whole.length > 0 ? Arrays.copyOfRange(whole, 1, whole.length) : whole;
                    }
                    messages[i] = whole;
                    continue;
                }
                if (firstFrames != null) {
                    int length = layout[at++];
                    firstFrames[i] = Arrays.copyOfRange(in, offset, offset + length);
                    offset += length;
                    count--;
                }
                byte[][] frames = new byte[count][];
                for (int k = 0; k < count; k++) {
                    int length = layout[at++];
                    frames[k] = Arrays.copyOfRange(in, offset, offset + length);
                    offset += length;
                }
                messages[i] = frames;
            }
        }

        /** Copies a message of small frames into the send buffers; false when it does not fit (or has a null). */
        boolean pack(byte[] routingId, byte[][] frames) {
            int count = frames.length + (routingId != null ? 1 : 0);
            if (count == 0 || count > lengths.length) {
                return false;
            }
            int offset = 0;
            int k = 0;
            if (routingId != null) {
                if (routingId.length >= Native.PACKED_FRAME_LIMIT) {
                    return false;
                }
                System.arraycopy(routingId, 0, out, 0, routingId.length);
                lengths[k++] = routingId.length;
                offset = routingId.length;
            }
            for (byte[] frame : frames) {
                if (frame == null || frame.length >= Native.PACKED_FRAME_LIMIT || frame.length > out.length - offset) {
                    return false;
                }
                System.arraycopy(frame, 0, out, offset, frame.length);
                lengths[k++] = frame.length;
                offset += frame.length;
            }
            return true;
        }
    }
}
