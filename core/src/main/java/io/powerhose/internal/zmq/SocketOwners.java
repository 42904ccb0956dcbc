package io.powerhose.internal.zmq;

import org.zeromq.ZMQ;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Checks that each socket is touched by one thread for its whole life: the thread that created it (through
 * {@link Sockets#create}) is its owner, and every send, receive, poll and close through {@link Sockets} must come
 * from that thread. The checks run in {@code assert} statements, so they cost nothing unless assertions are on
 * ({@code -ea}, as in the tests, whose JVMs and worker processes all run with it): a violation is recorded (for a
 * test to read, {@link #violations()}) and fails the call with an {@link AssertionError} naming both threads.
 * Any thread.
 */
public final class SocketOwners {
    private static final Map<ZMQ.Socket, Thread> OWNER_BY_SOCKET = Collections.synchronizedMap(new WeakHashMap<>());
    private static final List<String> VIOLATIONS = Collections.synchronizedList(new ArrayList<>());

    private SocketOwners() {
    }

    /**
     * Records the calling thread as the socket's owner.
     *
     * @param socket a new socket
     * @return true, for {@code assert}
     */
    static boolean claim(ZMQ.Socket socket) {
        OWNER_BY_SOCKET.put(socket, Thread.currentThread());
        return true;
    }

    /**
     * Checks that the calling thread owns the socket.
     *
     * @param socket the socket
     * @param what the call, for the message
     * @return true when it does (or the socket was not made by {@link Sockets#create}, as the benchmarks' are)
     * @throws AssertionError when another thread owns it
     */
    static boolean check(ZMQ.Socket socket, String what) {
        Thread owner = OWNER_BY_SOCKET.get(socket);
        Thread current = Thread.currentThread();
        if (owner == null || owner == current) {
            return true;
        }
        String violation = what + " on a socket of thread '" + owner.getName() + "' from thread '" + current.getName()
            + "'";
        VIOLATIONS.add(violation);
        throw new AssertionError(violation);
    }

    /**
     * Checks every socket registered with a poller.
     *
     * @param poller the poller
     * @return true when the calling thread owns all of them
     */
    static boolean check(ZMQ.Poller poller) {
        for (int i = 0; i < poller.getNext(); i++) {
            ZMQ.Socket socket = poller.getSocket(i);
            if (socket != null) {
                check(socket, "poll");
            }
        }
        return true;
    }

    /**
     * Forgets a socket that is being closed by its owner.
     *
     * @param socket the socket
     * @return true, for {@code assert}
     */
    static boolean release(ZMQ.Socket socket) {
        check(socket, "close");
        OWNER_BY_SOCKET.remove(socket);
        return true;
    }

    /** @return the violations seen so far in this JVM (a copy) */
    public static List<String> violations() {
        synchronized (VIOLATIONS) {
            return List.copyOf(VIOLATIONS);
        }
    }

    /** @return true when assertions, and so these checks, are on in this package */
    public static boolean enabled() {
        boolean enabled = false;
        assert enabled = true; // the side effect is the point: true only with -ea
        return enabled;
    }
}
