package io.powerhose.internal.client;

import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.Sockets;
import org.zeromq.ZMQ;

import java.util.HashMap;
import java.util.Map;

/**
 * A client's link to one broker: the DEALER to its frontend ({@code ZMQ_IMMEDIATE}: it takes a message only on a
 * live connection), a monitor of that connection, and the calls in flight on it ({@code pendingByRequestId}). A
 * client has one link per broker it was given (docs/PROTOCOL.md, "Several brokers"); all belong to the client's I/O
 * thread ({@code powerhose-client-io}), which creates, uses and closes them. Not thread safe.
 */
final class FrontendLink {
    final int index;
    final String frontend;
    final ZMQ.Socket dealer;
    final Monitor monitor;
    final Map<Long, PendingCall> pendingByRequestId = new HashMap<>();
    /** False from a lost connection until the monitor reports a new one: no call is sent here meanwhile. */
    boolean up = true;
    int pollItem;
    int sendPollItem;

    /**
     * Creates the DEALER and connects it.
     *
     * @param index the link's place in the client's list
     * @param context the client's context
     * @param frontend the broker's frontend
     * @param sendHwm the DEALER's send high-water mark
     * @param security what the DEALER is given before it connects (CURVE keys), or {@link Security#NONE}
     */
    FrontendLink(int index, ZMQ.Context context, String frontend, int sendHwm, Security security) {
        this.index = index;
        this.frontend = frontend;
        dealer = security.apply(Sockets.create(context, ZMQ.DEALER, 0));
        dealer.setSndHWM(sendHwm);
        // Queue only on a live connection: with no broker, calls wait in `unsent`, where their deadline can
        // still fail them, instead of in libzmq, where a call that already timed out would still be sent.
        dealer.setImmediate(true);
        monitor = new Monitor(context, dealer, frontend, security);
        Sockets.connect(dealer, frontend);
    }

    /** Closes the monitor and the DEALER. */
    void close() {
        monitor.close();
        Sockets.close(dealer);
    }

    @Override
    public String toString() {
        return frontend;
    }
}
