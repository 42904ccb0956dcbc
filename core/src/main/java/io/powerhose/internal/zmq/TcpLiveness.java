package io.powerhose.internal.zmq;

import org.zeromq.ZMQ;

/**
 * What every Powerhose socket on a {@code tcp://} endpoint sets before it connects or binds, so that a peer that
 * goes silent without closing anything (a cut link, a host that died or froze: no FIN, no RST) is noticed by
 * both sides within {@link #DETECTION_BOUND_MS}, and a connection lost that way is made again as soon as the
 * peer can be reached. Applied by {@link Sockets#connect} and {@link Sockets#bind}, the one place; the C worker
 * ({@code watch_link} in native/src/worker.c) and the Python example worker set the same values.
 *
 * <ul>
 *   <li>A ZMTP PING every {@link #PING_INTERVAL_MS} ({@code ZMQ_HEARTBEAT_IVL}), answered by the peer's libzmq
 *       I/O thread: there are bytes in flight on every connection at least once a second, loaded or idle.</li>
 *   <li>{@code ZMQ_TCP_MAXRT} ({@code TCP_USER_TIMEOUT}) {@link #UNACKNOWLEDGED_LIMIT_MS}: the kernel closes a
 *       connection whose sent bytes stay unacknowledged that long. A silent peer acknowledges nothing, so its
 *       connection closes {@value #UNACKNOWLEDGED_LIMIT_MS} ms after the first bytes sent after the cut: within
 *       {@link #DETECTION_BOUND_MS} of the cut. The socket monitor reports it (DISCONNECTED) and libzmq
 *       reconnects.</li>
 *   <li>No ZMTP timeout and no TTL ({@code ZMQ_HEARTBEAT_TIMEOUT} and {@code _TTL} 0; libzmq's default timeout
 *       would be the interval): those count whole messages, so a large message on a slow link, which arrives
 *       for longer than the timeout while its bytes are acknowledged all along, would close a healthy
 *       connection. The kernel's acknowledgements have no such limit.</li>
 *   <li>{@code ZMQ_CONNECT_TIMEOUT} {@link #CONNECT_TIMEOUT_MS}: a connect() whose SYN goes unanswered (the peer
 *       cannot be reached yet) is given up and retried after libzmq's reconnect interval (100 ms), so that the
 *       connection is made within about a second of the peer becoming reachable, instead of after the kernel's
 *       SYN back-off (1, 3, 7, 15 s…).</li>
 * </ul>
 *
 * <p>Not covered: a peer whose kernel still acknowledges but whose process is frozen (SIGSTOP). The broker finds
 * such a worker by its silence (the liveness window); a client finds a frozen broker by its jobs' timeouts.
 * TCP keepalive is not used: the PINGs keep bytes in flight, and keepalive does not run while they are.
 * Stateless; any thread, on a socket it owns.
 */
public final class TcpLiveness {
    /** ZMTP PING interval on tcp connections. */
    public static final int PING_INTERVAL_MS = 1000;
    /** How long sent bytes may stay unacknowledged before the kernel closes the connection. */
    public static final int UNACKNOWLEDGED_LIMIT_MS = 3000;
    /** How long a tcp connect may wait for the peer's answer before it is tried again. */
    public static final int CONNECT_TIMEOUT_MS = 1000;
    /** The longest time from a cut to its connection closing, on either side: the next PING, then the limit. */
    public static final int DETECTION_BOUND_MS = PING_INTERVAL_MS + UNACKNOWLEDGED_LIMIT_MS;

    private TcpLiveness() {
    }

    /**
     * @param endpoint a ZeroMQ endpoint
     * @return whether it is a tcp endpoint, to which these settings apply
     */
    public static boolean appliesTo(String endpoint) {
        return endpoint.startsWith("tcp://");
    }

    /**
     * Sets the options on a socket about to connect or bind to a tcp endpoint (libzmq copies them then).
     *
     * @param socket the socket, owned by the calling thread
     */
    public static void apply(ZMQ.Socket socket) {
        Native.setOption(socket, SocketOption.HEARTBEAT_IVL, PING_INTERVAL_MS);
        Native.setOption(socket, SocketOption.HEARTBEAT_TIMEOUT, 0);
        Native.setOption(socket, SocketOption.HEARTBEAT_TTL, 0);
        Native.setOption(socket, SocketOption.TCP_MAXRT, UNACKNOWLEDGED_LIMIT_MS);
        Native.setOption(socket, SocketOption.CONNECT_TIMEOUT, CONNECT_TIMEOUT_MS);
    }
}
