package io.powerhose.internal.broker;

import io.powerhose.internal.zmq.Sockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The broker's ZAP handler (ZeroMQ RFC 27): a ROUTER bound to {@link Zap#ENDPOINT} in the broker's context, which
 * libzmq asks, for every CURVE handshake on the broker's sockets, whether the peer's key may connect. It belongs to
 * the broker thread ({@code powerhose-broker}), which polls it in its loop next to the frontend and backend; it
 * answers at once from the {@link Zap.Lists} it holds, which the broker thread replaces when the allow-lists are
 * re-read. Denials are counted in STATUS and logged once per key and address, at most
 * {@value #DENIAL_LINES_PER_MINUTE} lines a minute.
 */
final class ZapHandler implements AutoCloseable {
    static final int DENIAL_LINES_PER_MINUTE = 20;
    /** How many key and address pairs are remembered as logged already. */
    static final int REMEMBERED_DENIALS = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(ZapHandler.class);
    private static final int BATCH = 64;

    private final ZMQ.Socket socket;
    private final BrokerCounters counters;
    private final LongSupplier nanoClock;
    private final LogBudget denialLines;
    private final Map<String, Boolean> loggedDenials = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_DENIALS;
        }
    };
    private final byte[][] routingIds = new byte[BATCH][];
    private final byte[][][] bodies = new byte[BATCH][][];
    private Zap.Lists lists;

    /**
     * Binds the handler; call it before any CURVE socket of the context binds.
     *
     * @param context the broker's context
     * @param lists the allow-lists
     * @param counters the broker's counters
     * @param nanoClock the clock
     */
    ZapHandler(ZMQ.Context context, Zap.Lists lists, BrokerCounters counters, LongSupplier nanoClock) {
        this.lists = lists;
        this.counters = counters;
        this.nanoClock = nanoClock;
        this.denialLines = new LogBudget(LOG, "refused connections", DENIAL_LINES_PER_MINUTE, 60_000_000_000L,
            nanoClock.getAsLong());
        socket = Sockets.create(context, ZMQ.ROUTER, 0);
        try {
            socket.bind(Zap.ENDPOINT);
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * @param poller the broker's poller
     * @return the poll item index
     */
    int register(ZMQ.Poller poller) {
        return poller.register(socket, ZMQ.Poller.POLLIN);
    }

    /** @return the lists in force */
    Zap.Lists lists() {
        return lists;
    }

    /**
     * Answers the requests waiting, up to a batch.
     *
     * @return how many were read (a full batch means more may wait)
     */
    int drain() {
        int count = Sockets.receiveBatch(socket, routingIds, bodies, BATCH);
        long nowNs = nanoClock.getAsLong();
        for (int i = 0; i < count; i++) {
            byte[] routingId = routingIds[i];
            byte[][] body = bodies[i];
            routingIds[i] = null;
            bodies[i] = null;
            Zap.Decision decision = Zap.decide(body, lists);
            switch (decision.outcome()) {
                case ALLOWED -> counters.authAllowed++;
                case DENIED_CLIENT -> counters.authDeniedClients++;
                case DENIED_WORKER -> counters.authDeniedWorkers++;
                case MALFORMED -> counters.authMalformed++;
            }
            if (decision.reply() != null) {
                Sockets.send(socket, routingId, decision.reply());
            }
            if (decision.outcome() != Zap.Outcome.ALLOWED) {
                logDenial(decision, nowNs);
            }
        }
        return count;
    }

    /**
     * Applies new lists to the next handshakes; connections made already stay.
     *
     * @param next the lists just read
     */
    void replace(Zap.Lists next) {
        lists = next;
        counters.allowListReloads++;
        loggedDenials.clear();
        LOG.info("allow-lists reloaded: clients {}, workers {}", next.clients(), next.workers());
    }

    /** Says how many denial lines were left out, once their window has ended. Broker thread, every pass. */
    void onTimer() {
        denialLines.roll(nanoClock.getAsLong());
    }

    private void logDenial(Zap.Decision decision, long nowNs) {
        String side = decision.outcome() == Zap.Outcome.DENIED_CLIENT ? "client" : decision.outcome()
            == Zap.Outcome.DENIED_WORKER ? "worker" : "peer";
        String pair = decision.domain() + " " + decision.publicKey() + " " + decision.address() + " "
            + (decision.outcome() == Zap.Outcome.MALFORMED ? decision.reason() : "");
        if (loggedDenials.put(pair, Boolean.TRUE) != null || !denialLines.allow(nowNs)) {
            return;
        }
        if (decision.outcome() == Zap.Outcome.MALFORMED) {
            LOG.warn("refused a malformed ZAP request (domain '{}', address {}): {}", decision.domain(),
                decision.address(), decision.reason());
        } else {
            LOG.warn("refused a {} from {} on {}: key {} is {}", side, decision.address(), decision.domain(),
                decision.publicKey(), decision.reason());
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
