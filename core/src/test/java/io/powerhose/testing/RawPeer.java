package io.powerhose.testing;

import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Sockets;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A bare ZeroMQ socket in a test, as a peer written in another language (or a hostile one) would use it: any
 * frames, no codec. Also watches its own connection (connected, disconnected). Used by one thread; close it.
 */
public final class RawPeer implements AutoCloseable {
    private final ZMQ.Context context = ZMQ.context(1);
    private final ZMQ.Socket socket;
    private final Monitor monitor;
    private int disconnects;

    /**
     * Connects a socket.
     *
     * @param type the socket type, e.g. {@link ZMQ#DEALER}
     * @param endpoint where to connect
     * @param receiveHwm the receive high-water mark (0: none; 1 makes a slow reader whose unread messages stay
     *     in the sender's queue)
     */
    public RawPeer(int type, String endpoint, long receiveHwm) {
        this(type, endpoint, receiveHwm, false);
    }

    private RawPeer(int type, String endpoint, long receiveHwm, boolean bind) {
        NativeLibrary.load();
        socket = Sockets.create(context, type, 0);
        socket.setRcvHWM(receiveHwm);
        socket.setReceiveTimeOut(5_000);
        monitor = new Monitor(context, socket);
        if (bind) {
            socket.bind(endpoint);
        } else {
            socket.connect(endpoint);
        }
    }

    /**
     * Binds a socket, as a broker would (a fake broker for a worker under test).
     *
     * @param type the socket type, e.g. {@link ZMQ#ROUTER}
     * @param endpoint where to bind
     * @return the peer
     */
    public static RawPeer bound(int type, String endpoint) {
        return new RawPeer(type, endpoint, 0, true);
    }

    /**
     * Connects a socket with no high-water mark.
     *
     * @param type the socket type
     * @param endpoint where to connect
     */
    public RawPeer(int type, String endpoint) {
        this(type, endpoint, 0);
    }

    /** @return the socket (this thread only) */
    public ZMQ.Socket socket() {
        return socket;
    }

    /**
     * Sends frames given as text (ISO-8859-1, so that any byte can be written as a char).
     *
     * @param frames the frames
     */
    public void send(String... frames) {
        byte[][] bytes = new byte[frames.length][];
        for (int i = 0; i < frames.length; i++) {
            bytes[i] = frames[i].getBytes(StandardCharsets.ISO_8859_1);
        }
        send(bytes);
    }

    /**
     * Sends frames, waiting while the socket's queue is full.
     *
     * @param frames the frames
     */
    public void send(byte[]... frames) {
        for (int i = 0; i < frames.length; i++) {
            if (!socket.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0)) {
                throw new AssertionError("send failed");
            }
        }
    }

    /**
     * Receives one message, waiting up to 5 s.
     *
     * @return its frames
     */
    public byte[][] receiveFrames() {
        byte[] first = socket.recv(0);
        if (first == null) {
            throw new AssertionError("no answer within 5 s");
        }
        java.util.List<byte[]> frames = new java.util.ArrayList<>();
        frames.add(first);
        while (socket.hasReceiveMore()) {
            frames.add(socket.recv(0));
        }
        return frames.toArray(new byte[0][]);
    }

    /** @return one message, frames joined with {@code |} (ISO-8859-1), waiting up to 5 s */
    public String receive() {
        StringBuilder out = new StringBuilder();
        for (byte[] frame : receiveFrames()) {
            out.append(out.length() == 0 ? "" : "|").append(new String(frame, StandardCharsets.ISO_8859_1));
        }
        return out.toString();
    }

    /**
     * Waits until the peer at the other end has closed this socket's connection.
     *
     * @param timeout the longest wait
     */
    public void awaitDisconnected(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (disconnects == 0) {
            int event = monitor.poll();
            if (event == Monitor.EVENT_DISCONNECTED) {
                disconnects++;
            } else if (event == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("still connected after " + timeout);
                }
                sleep();
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    @Override
    public void close() {
        monitor.close();
        Sockets.close(socket);
        context.term();
    }

    /**
     * Reads a process's resident memory from {@code /proc/<pid>/status}.
     *
     * @param pid the process
     * @return its VmRSS in bytes
     */
    public static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("no VmRSS for pid " + pid);
    }
}
