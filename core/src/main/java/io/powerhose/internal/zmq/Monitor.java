package io.powerhose.internal.zmq;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Watches a socket's connections through libzmq's socket monitor, so that the owner thread learns at once when
 * its peer goes away or comes back, and when a security handshake fails. Owned by the thread that owns the
 * watched socket.
 *
 * <p>A monitor made for a connecting socket ({@link #Monitor(ZMQ.Context, ZMQ.Socket, String, Security)}) also
 * deals with handshake failures: it logs each distinct one once, in words that say what to change (a CURVE peer
 * and a plain one, a server key that is not the broker's, a key the broker's allow-list refuses), and, since
 * libzmq never reconnects after a refused handshake, connects again itself, after a backoff of
 * {@value #MIN_RETRY_MS} ms doubling up to {@value #MAX_RETRY_MS} ms, so that a peer that is fixed (a key added
 * to the broker's allow-list) is reached without a restart. Such a socket gets a send timeout of 0, so that a
 * send while it has no connection at all returns unsent instead of waiting for ever.
 */
public final class Monitor implements AutoCloseable {
    /** libzmq 4.x ZMQ_EVENT_CONNECTED (the TCP or ipc connection; the handshake follows). */
    public static final int EVENT_CONNECTED = 0x0001;
    /** libzmq 4.x ZMQ_EVENT_DISCONNECTED. */
    public static final int EVENT_DISCONNECTED = 0x0200;
    /** libzmq 4.3 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: the peer closed the connection during the handshake. */
    public static final int EVENT_HANDSHAKE_FAILED_NO_DETAIL = 0x0800;
    /** libzmq 4.3 ZMQ_EVENT_HANDSHAKE_SUCCEEDED. */
    public static final int EVENT_HANDSHAKE_SUCCEEDED = 0x1000;
    /** libzmq 4.3 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL; the value is a ZMQ_PROTOCOL_ERROR_*. */
    public static final int EVENT_HANDSHAKE_FAILED_PROTOCOL = 0x2000;
    /** libzmq 4.3 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH; the value is the ZAP status code (400: refused). */
    public static final int EVENT_HANDSHAKE_FAILED_AUTH = 0x4000;
    /** ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: a CURVE box did not open (a client used another server key). */
    public static final int PROTOCOL_ERROR_CRYPTOGRAPHIC = 0x11000001;
    /** ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: one side uses CURVE, the other does not. */
    public static final int PROTOCOL_ERROR_MECHANISM_MISMATCH = 0x11000002;
    static final long MIN_RETRY_MS = 500;
    static final long MAX_RETRY_MS = 10_000;
    private static final int EVENTS = EVENT_CONNECTED | EVENT_DISCONNECTED | EVENT_HANDSHAKE_FAILED_NO_DETAIL
        | EVENT_HANDSHAKE_SUCCEEDED | EVENT_HANDSHAKE_FAILED_PROTOCOL | EVENT_HANDSHAKE_FAILED_AUTH;
    private static final Logger LOG = LoggerFactory.getLogger(Monitor.class);
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final ZMQ.Socket watched;
    private final ZMQ.Socket events;
    private final String endpoint;
    private final Security security;
    private final LongSupplier nanoClock = System::nanoTime;
    private int lastValue;
    private String handshakeFailure;
    private boolean refusedOrRepeated;
    private final Set<String> loggedFailures = new HashSet<>();
    private long failuresInARow;
    private long retryMs = MIN_RETRY_MS;
    private long reconnectAtNs;
    private boolean reconnectPending;

    /**
     * Starts monitoring connect, disconnect and handshake events of a socket, without acting on them.
     *
     * @param context the socket's context
     * @param watched the socket to watch
     */
    public Monitor(ZMQ.Context context, ZMQ.Socket watched) {
        this(context, watched, null, Security.NONE);
    }

    /**
     * Starts monitoring a socket that connects to {@code endpoint} (call it before connecting): handshake failures
     * are logged in words that say what to change, and the socket connects again after a refused handshake.
     *
     * @param context the socket's context
     * @param watched the socket to watch
     * @param endpoint the endpoint it connects to, or null to leave reconnecting to libzmq
     * @param security how the socket is secured, to explain its failures
     */
    public Monitor(ZMQ.Context context, ZMQ.Socket watched, String endpoint, Security security) {
        this.watched = watched;
        this.endpoint = endpoint;
        this.security = security;
        if (endpoint != null) {
            // After a refused handshake libzmq ends the connection and its pipe for good: a send on a DEALER with no
            // pipe would wait for ever, and the owner's loop (which reconnects through this monitor) with it. With no
            // send timeout, such a send returns at once, unsent; with a pipe, a queue with no high-water mark never
            // makes a send wait, so nothing else changes.
            watched.setSendTimeOut(0);
        }
        String monitorEndpoint = "inproc://powerhose-monitor-" + SEQUENCE.incrementAndGet();
        watched.monitor(monitorEndpoint, EVENTS);
        events = Sockets.create(context, ZMQ.PAIR, 0);
        events.connect(monitorEndpoint);
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
     * Reads one pending event without waiting; for a connecting socket it first connects again when a retry after a
     * refused handshake is due.
     *
     * @return the event id ({@link #EVENT_CONNECTED}, {@link #EVENT_DISCONNECTED}, a handshake event), or 0 when
     *     none is pending
     */
    public int poll() {
        reconnectIfDue();
        byte[][] frames = Sockets.receive(events);
        if (frames.length == 0 || frames[0].length < 2) {
            return 0;
        }
        int event = (frames[0][0] & 0xff) | ((frames[0][1] & 0xff) << 8);
        lastValue = frames[0].length < 6 ? 0 : (frames[0][2] & 0xff) | ((frames[0][3] & 0xff) << 8)
            | ((frames[0][4] & 0xff) << 16) | ((frames[0][5] & 0xff) << 24);
        if (endpoint != null) {
            onEvent(event, lastValue);
        }
        return event;
    }

    /** @return the value of the last event {@link #poll()} returned (a protocol error, a ZAP status, an fd) */
    public int lastValue() {
        return lastValue;
    }

    /**
     * @return for a connecting socket, why its last handshake failed, in words that say what to change; null when
     *     its last handshake succeeded or none failed yet, and after a single handshake the peer hung up on (that
     *     one may be a restart: it counts from the second in a row)
     */
    public String handshakeFailure() {
        return refusedOrRepeated ? handshakeFailure : null;
    }

    /**
     * @param event an event id
     * @return whether it says a handshake failed
     */
    public static boolean isHandshakeFailure(int event) {
        return event == EVENT_HANDSHAKE_FAILED_NO_DETAIL || event == EVENT_HANDSHAKE_FAILED_PROTOCOL
            || event == EVENT_HANDSHAKE_FAILED_AUTH;
    }

    /**
     * Says why a handshake with a server failed, and what to change.
     *
     * @param event the handshake failure event
     * @param value its value
     * @param endpoint the server's endpoint
     * @param security how this side is secured
     * @return the explanation
     */
    public static String explain(int event, int value, String endpoint, Security security) {
        String own = security.publicKey() != null ? " (public key " + security.publicKey() + ")" : "";
        if (event == EVENT_HANDSHAKE_FAILED_PROTOCOL && value == PROTOCOL_ERROR_MECHANISM_MISMATCH) {
            return security.isCurve()
                ? "the broker at " + endpoint + " does not use CURVE and this side does (a server key is set): give "
                    + "the broker its key (--curve-secret-key), or drop the CURVE options here"
                : "the broker at " + endpoint + " requires CURVE and this side does not use it: give this side the "
                    + "broker's public key (--curve-server-key, curveServerKey) and its own key pair (--curve-key, "
                    + "curveKey)";
        }
        if (event == EVENT_HANDSHAKE_FAILED_AUTH) {
            return value == 400
                ? "the broker at " + endpoint + " refused this side's key" + own + ": it is not in the broker's "
                    + "allow-list for this socket (--allow-clients for clients, --allow-workers for workers; a "
                    + "client's key cannot register as a worker)"
                : "the broker at " + endpoint + " did not admit this side" + own + " (ZAP status " + value + ")";
        }
        if (event == EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            // The peer hung up during the handshake: CURVE with another key, or one side without CURVE (whichever
            // side sees the mismatch first closes, and the other may only see the connection end).
            return security.isCurve()
                ? "the broker at " + endpoint + " closed the connection during the CURVE handshake: the server key "
                    + security.serverKey() + " is most likely not the broker's public key (--curve-server-key), or "
                    + "the broker does not use CURVE"
                : "the broker at " + endpoint + " closed the connection during the handshake: it most likely "
                    + "requires CURVE; give this side the broker's public key (--curve-server-key, curveServerKey) "
                    + "and its own key pair (--curve-key, curveKey)";
        }
        if (event == EVENT_HANDSHAKE_FAILED_PROTOCOL && value == PROTOCOL_ERROR_CRYPTOGRAPHIC) {
            return "the CURVE handshake with " + endpoint + " failed: a key does not match (the server key "
                + security.serverKey() + " is most likely not the broker's)";
        }
        return "the handshake with " + endpoint + " failed (libzmq event 0x" + Integer.toHexString(event)
            + ", value 0x" + Integer.toHexString(value) + ")";
    }

    private void onEvent(int event, int value) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: socket event 0x{}, value 0x{}", endpoint, Integer.toHexString(event),
                Integer.toHexString(value));
        }
        if (event == EVENT_HANDSHAKE_SUCCEEDED) {
            if (failuresInARow > 0) {
                LOG.info("handshake with {} succeeded after {} failure(s)", endpoint, failuresInARow);
            }
            handshakeFailure = null;
            refusedOrRepeated = false;
            loggedFailures.clear();
            failuresInARow = 0;
            retryMs = MIN_RETRY_MS;
            return;
        }
        if (!isHandshakeFailure(event)) {
            return;
        }
        failuresInARow++;
        handshakeFailure = explain(event, value, endpoint, security);
        // libzmq reconnects after a connection error, but ends the connection for good after a refused handshake
        // (a protocol error or a ZAP denial): connect again later, so that a fixed peer is reached.
        boolean refused = event != EVENT_HANDSHAKE_FAILED_NO_DETAIL;
        refusedOrRepeated = refused || failuresInARow >= 2;
        if (!refusedOrRepeated) {
            return;
        }
        if (loggedFailures.add(handshakeFailure)) {
            LOG.error("{}{}", handshakeFailure, refused ? "; trying again in " + retryMs + " ms" : "");
        } else if (isPowerOfTen(failuresInARow)) {
            LOG.warn("handshake with {} still fails ({} times in a row): {}", endpoint, failuresInARow,
                handshakeFailure);
        }
        if (refused && !reconnectPending) {
            reconnectPending = true;
            reconnectAtNs = nanoClock.getAsLong() + retryMs * 1_000_000;
            retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
        }
    }

    private void reconnectIfDue() {
        if (!reconnectPending || nanoClock.getAsLong() - reconnectAtNs < 0) {
            return;
        }
        reconnectPending = false;
        try {
            watched.disconnect(endpoint);
        } catch (ZMQException e) {
            // ENOENT: libzmq already forgot the endpoint when it ended the connection
        }
        watched.connect(endpoint);
        LOG.debug("connecting again to {} after a refused handshake", endpoint);
    }

    private static boolean isPowerOfTen(long n) {
        while (n >= 10 && n % 10 == 0) {
            n /= 10;
        }
        return n == 1;
    }

    @Override
    public void close() {
        Sockets.close(events);
    }
}
