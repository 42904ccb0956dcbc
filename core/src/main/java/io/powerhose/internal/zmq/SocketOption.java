package io.powerhose.internal.zmq;

/**
 * The libzmq socket options set and read through {@link Native}: those jzmq 3.1.0 refuses (CURVE, the ZAP
 * domain, ZMTP heartbeats, TCP keepalive, the tcp timeouts) or reads only through a slower path, with their
 * libzmq 4.x numbers and value types. Immutable.
 */
public enum SocketOption {
    /** {@code ZMQ_FD}: the file descriptor that signals {@link #EVENTS} may have changed (read only). */
    FD(14, Type.INT),
    /** {@code ZMQ_EVENTS}: {@code ZMQ_POLLIN} (1) and {@code ZMQ_POLLOUT} (2) bits (read only). */
    EVENTS(15, Type.INT),
    /** {@code ZMQ_LINGER}, in milliseconds. */
    LINGER(17, Type.INT),
    /** {@code ZMQ_MAXMSGSIZE}: the largest message a peer may send, in bytes; -1 means no limit. */
    MAXMSGSIZE(22, Type.LONG),
    /** {@code ZMQ_LAST_ENDPOINT}: the endpoint the socket last bound, with the port the system chose (read only). */
    LAST_ENDPOINT(32, Type.BYTES),
    /** {@code ZMQ_TCP_KEEPALIVE}: -1 (the system's default), 0 (off) or 1 (on). */
    TCP_KEEPALIVE(34, Type.INT),
    /** {@code ZMQ_TCP_KEEPALIVE_CNT}: probes before the connection is dropped; -1 for the system's default. */
    TCP_KEEPALIVE_CNT(35, Type.INT),
    /** {@code ZMQ_TCP_KEEPALIVE_IDLE}: idle seconds before the first probe; -1 for the system's default. */
    TCP_KEEPALIVE_IDLE(36, Type.INT),
    /** {@code ZMQ_TCP_KEEPALIVE_INTVL}: seconds between probes; -1 for the system's default. */
    TCP_KEEPALIVE_INTVL(37, Type.INT),
    /** {@code ZMQ_MECHANISM}: 0 NULL, 1 PLAIN, 2 CURVE, 3 GSSAPI (read only). */
    MECHANISM(43, Type.INT),
    /** {@code ZMQ_CURVE_SERVER}: 1 makes the socket a CURVE server. */
    CURVE_SERVER(47, Type.INT),
    /** {@code ZMQ_CURVE_PUBLICKEY}: this socket's public key, 32 bytes or 40 characters of Z85. */
    CURVE_PUBLICKEY(48, Type.BYTES),
    /** {@code ZMQ_CURVE_SECRETKEY}: this socket's secret key, 32 bytes or 40 characters of Z85. */
    CURVE_SECRETKEY(49, Type.BYTES),
    /** {@code ZMQ_CURVE_SERVERKEY}: the server's public key, for a CURVE client; 32 bytes or 40 of Z85. */
    CURVE_SERVERKEY(50, Type.BYTES),
    /** {@code ZMQ_ZAP_DOMAIN}: the domain the ZAP handler is told, up to 254 bytes. */
    ZAP_DOMAIN(55, Type.BYTES),
    /** {@code ZMQ_HANDSHAKE_IVL}: drop a connection whose security handshake takes longer, in ms; 0 for never. */
    HANDSHAKE_IVL(66, Type.INT),
    /** {@code ZMQ_HEARTBEAT_IVL}: ZMTP PING every so many milliseconds; 0 for none. */
    HEARTBEAT_IVL(75, Type.INT),
    /** {@code ZMQ_HEARTBEAT_TTL}: the peer drops the connection after so many ms of silence (kept in 100 ms). */
    HEARTBEAT_TTL(76, Type.INT),
    /** {@code ZMQ_HEARTBEAT_TIMEOUT}: drop the connection when no traffic follows a PING within so many ms. */
    HEARTBEAT_TIMEOUT(77, Type.INT),
    /** {@code ZMQ_CONNECT_TIMEOUT}: give up a tcp connect() after so many ms (and retry); 0 for the system's. */
    CONNECT_TIMEOUT(79, Type.INT),
    /** {@code ZMQ_TCP_MAXRT}: close a tcp connection whose sent bytes stay unacknowledged so many ms. */
    TCP_MAXRT(80, Type.INT);

    /** The C type of an option's value. */
    public enum Type { INT, LONG, BYTES }

    private final int number;
    private final Type type;

    SocketOption(int number, Type type) {
        this.number = number;
        this.type = type;
    }

    /** @return the option's number in {@code zmq.h} */
    public int number() {
        return number;
    }

    /** @return the type of its value */
    public Type type() {
        return type;
    }

    /** @return the option's name in {@code zmq.h}, e.g. {@code ZMQ_CURVE_SERVER} */
    public String zmqName() {
        return "ZMQ_" + name();
    }
}
