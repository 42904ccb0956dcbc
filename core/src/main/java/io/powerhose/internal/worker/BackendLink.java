package io.powerhose.internal.worker;

import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.Sockets;
import org.zeromq.ZMQ;

/**
 * A worker's link to one broker: the DEALER to its backend, the SUB to its beat, a monitor of the DEALER's
 * connection, the beat watch, and the jobs this broker has on the worker ({@code held}). A worker has one link per
 * broker it was given (docs/PROTOCOL.md, "Several brokers"); all belong to the worker's socket thread
 * ({@code powerhose-worker}), which creates, uses and closes them. Not thread safe.
 */
final class BackendLink {
    final int index;
    final String backend;
    final String heartbeat;
    final ZMQ.Socket dealer;
    final ZMQ.Socket beat;
    final Monitor monitor;
    final BeatWatch beatWatch;
    /** Jobs this broker sent and the worker has not answered yet (queued or running). */
    int held;
    boolean connected;
    /** Set once this broker's beat was found lost; cleared by its next beat. */
    boolean beatLost;
    boolean leaveAcknowledged;

    /**
     * Creates the sockets and connects them.
     *
     * @param index the link's place in the worker's list
     * @param context the worker's context
     * @param backend the broker's backend
     * @param heartbeat the broker's heartbeat
     * @param beatWatch the watch of this broker's beat
     * @param security what the DEALER and the SUB are given before they connect (CURVE keys), or
     *                 {@link Security#NONE}
     */
    BackendLink(int index, ZMQ.Context context, String backend, String heartbeat, BeatWatch beatWatch,
                Security security) {
        this.index = index;
        this.backend = backend;
        this.heartbeat = heartbeat;
        this.beatWatch = beatWatch;
        dealer = security.apply(Sockets.create(context, ZMQ.DEALER, 0));
        monitor = new Monitor(context, dealer, backend, security);
        Sockets.connect(dealer, backend);
        beat = security.apply(Sockets.create(context, ZMQ.SUB, 0));
        beat.subscribe(new byte[0]);
        Sockets.connect(beat, heartbeat);
    }

    /**
     * Reads the beats that arrived.
     *
     * @param nowNs the time now
     * @return true when at least one came
     */
    boolean drainBeats(long nowNs) {
        boolean any = false;
        while (Sockets.receive(beat).length > 0) {
            beatWatch.onBeat(nowNs);
            any = true;
        }
        return any;
    }

    /**
     * Sets the DEALER's linger before closing: what was sent must leave when the broker still reads it.
     *
     * @param brokerGone true when no broker reads this link any more
     * @param lingerMs the linger otherwise
     */
    void setLinger(boolean brokerGone, int lingerMs) {
        dealer.setLinger(brokerGone ? 0 : lingerMs);
    }

    /** Closes the monitor and both sockets (linger as set before). */
    void close() {
        monitor.close();
        Sockets.close(beat);
        Sockets.close(dealer);
    }

    @Override
    public String toString() {
        return backend;
    }
}
