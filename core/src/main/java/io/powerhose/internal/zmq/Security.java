package io.powerhose.internal.zmq;

import io.powerhose.CurveCertificate;
import org.zeromq.ZMQ;

import java.util.Objects;

/**
 * How one socket secures its connections: the one place where Powerhose sets libzmq's security options. Apply it
 * right after the socket is created and before it binds or connects: libzmq copies a socket's options into each
 * connection when the connection is made, so options set later do not reach it.
 *
 * <ul>
 *   <li>{@link #NONE}: the NULL mechanism (no encryption, no authentication); nothing is set.</li>
 *   <li>{@link #server}: a CURVE server (the broker's three sockets) with its key pair and a ZAP domain that names
 *       the socket, so that the broker's ZAP handler applies that socket's allow-list.</li>
 *   <li>{@link #client}: a CURVE client (clients, workers, probes) that knows the server's public key, with its
 *       own key pair, or a new one per socket when it has none (enough when the broker has no allow-list).</li>
 * </ul>
 *
 * A secured socket also gets a handshake limit ({@value #HANDSHAKE_IVL_MS} ms): a peer that stalls in the
 * handshake is dropped instead of holding a connection for libzmq's default 30 s. Immutable; any thread, but
 * {@link #apply} must be called by the thread that owns the socket.
 */
public final class Security {
    /** The NULL mechanism: no options set. */
    public static final Security NONE = new Security(Kind.NONE, null, null, null);
    /** The ZAP domain of the broker's frontend: the clients' allow-list applies. */
    public static final String FRONTEND_DOMAIN = "powerhose-frontend";
    /** The ZAP domain of the broker's backend: the workers' allow-list applies. */
    public static final String BACKEND_DOMAIN = "powerhose-backend";
    /** The ZAP domain of the broker's heartbeat PUB: the workers' allow-list applies. */
    public static final String HEARTBEAT_DOMAIN = "powerhose-heartbeat";
    /** How long a CURVE handshake may take before libzmq drops the connection. */
    public static final int HANDSHAKE_IVL_MS = 5000;

    /** The mechanism and the side. */
    public enum Kind { NONE, CURVE_SERVER, CURVE_CLIENT }

    private final Kind kind;
    private final CurveCertificate ownKey;
    private final CurveCertificate serverKey;
    private final String zapDomain;

    private Security(Kind kind, CurveCertificate ownKey, CurveCertificate serverKey, String zapDomain) {
        this.kind = kind;
        this.ownKey = ownKey;
        this.serverKey = serverKey;
        this.zapDomain = zapDomain;
    }

    /**
     * A CURVE server socket.
     *
     * @param key the server's key pair, or null for {@link #NONE}
     * @param zapDomain the ZAP domain that tells the ZAP handler which socket asks
     * @return the security
     */
    public static Security server(CurveCertificate key, String zapDomain) {
        if (key == null) {
            return NONE;
        }
        if (!key.hasSecretKey()) {
            throw new IllegalArgumentException("a CURVE server needs its secret key: " + key);
        }
        return new Security(Kind.CURVE_SERVER, key, null, Objects.requireNonNull(zapDomain, "zapDomain"));
    }

    /**
     * A CURVE client socket.
     *
     * @param serverKey the server's public key, or null for {@link #NONE}
     * @param ownKey this side's key pair, or null for a new one per socket
     * @return the security
     */
    public static Security client(CurveCertificate serverKey, CurveCertificate ownKey) {
        if (serverKey == null) {
            return NONE;
        }
        if (ownKey != null && !ownKey.hasSecretKey()) {
            throw new IllegalArgumentException("a CURVE client's own key needs its secret key: " + ownKey);
        }
        return new Security(Kind.CURVE_CLIENT, ownKey, serverKey.publicOnly(), null);
    }

    /** @return the mechanism and side */
    public Kind kind() {
        return kind;
    }

    /** @return whether this uses CURVE */
    public boolean isCurve() {
        return kind != Kind.NONE;
    }

    /** @return this side's public key, or null (NONE, or a client whose key is made per socket) */
    public String publicKey() {
        return ownKey == null ? null : ownKey.publicKey();
    }

    /** @return the server's public key a client expects, or null */
    public String serverKey() {
        return serverKey == null ? null : serverKey.publicKey();
    }

    /**
     * Sets the socket's security options. Call it before the socket binds or connects.
     *
     * @param socket a socket just created, owned by the calling thread
     * @return the socket
     */
    public ZMQ.Socket apply(ZMQ.Socket socket) {
        switch (kind) {
            case NONE -> {
                // the NULL mechanism is libzmq's default
            }
            case CURVE_SERVER -> {
                Native.setOption(socket, SocketOption.CURVE_SERVER, 1);
                Native.setOption(socket, SocketOption.CURVE_SECRETKEY, ownKey.secretKey());
                Native.setOption(socket, SocketOption.ZAP_DOMAIN, zapDomain);
                Native.setOption(socket, SocketOption.HANDSHAKE_IVL, HANDSHAKE_IVL_MS);
            }
            case CURVE_CLIENT -> {
                CurveCertificate own = ownKey != null ? ownKey : CurveCertificate.generate();
                Native.setOption(socket, SocketOption.CURVE_SERVERKEY, serverKey.publicKey());
                Native.setOption(socket, SocketOption.CURVE_PUBLICKEY, own.publicKey());
                Native.setOption(socket, SocketOption.CURVE_SECRETKEY, own.secretKey());
                Native.setOption(socket, SocketOption.HANDSHAKE_IVL, HANDSHAKE_IVL_MS);
            }
        }
        return socket;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "no security (NULL mechanism)";
            case CURVE_SERVER -> "CURVE server, key " + ownKey.publicKey() + ", ZAP domain " + zapDomain;
            case CURVE_CLIENT -> "CURVE client of server key " + serverKey.publicKey() + ", own key "
                + (ownKey != null ? ownKey.publicKey() : "made per connection");
        };
    }
}
