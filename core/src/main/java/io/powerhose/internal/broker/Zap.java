package io.powerhose.internal.broker;

import io.powerhose.internal.zmq.Curve;
import io.powerhose.internal.zmq.Security;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The broker's ZAP decisions (ZeroMQ RFC 27), without sockets: which CURVE key may connect to which socket. The
 * socket a handshake is for is named by its ZAP domain ({@link Security#FRONTEND_DOMAIN} and the others); the
 * frontend admits the keys of the clients' allow-list (and the broker's own key, which {@code --check} and the
 * duplicate check use), the backend and the heartbeat those of the workers' list: a client's key cannot register
 * as a worker. A request that is not a well-formed CURVE request is refused. Pure; never throws for what it is
 * given.
 */
public final class Zap {
    /** The endpoint libzmq sends ZAP requests to, in the socket's context. */
    public static final String ENDPOINT = "inproc://zeromq.zap.01";
    static final byte[] VERSION = "1.0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY = new byte[0];
    private static final int MAX_TEXT = 120;

    private Zap() {
    }

    /**
     * The allow-lists the broker applies, and its own public key. Immutable.
     *
     * @param clients keys allowed on the frontend
     * @param workers keys allowed on the backend and the heartbeat
     * @param brokerKey the broker's own public key (Z85), allowed on the frontend; null without CURVE
     */
    public record Lists(AllowList clients, AllowList workers, String brokerKey) {
        /** @return lists that allow any key */
        public static Lists any() {
            return new Lists(AllowList.any(), AllowList.any(), null);
        }
    }

    /** What became of a request. */
    public enum Outcome { ALLOWED, DENIED_CLIENT, DENIED_WORKER, MALFORMED }

    /**
     * A decision.
     *
     * @param outcome allowed, denied (on which side), or malformed
     * @param domain the ZAP domain, as printable text
     * @param address the peer's address, as printable text
     * @param publicKey the peer's key in Z85, or "" when the request carried none
     * @param reply the frames to send back after the routing id (the empty delimiter first), or null when the
     *     request cannot be answered (no delimiter or no request id)
     * @param reason why, for the log
     */
    public record Decision(Outcome outcome, String domain, String address, String publicKey, byte[][] reply,
                           String reason) {
    }

    /**
     * Decides one request.
     *
     * @param body the request's frames after the routing id: delimiter, version, request id, domain, address,
     *     identity, mechanism, credentials
     * @param lists the lists to apply
     * @return the decision
     */
    public static Decision decide(byte[][] body, Lists lists) {
        if (body == null || body.length < 3 || body[0] == null || body[0].length != 0 || body[2] == null) {
            return new Decision(Outcome.MALFORMED, "", "", "", null, "no delimiter or request id");
        }
        byte[] requestId = body[2];
        String domain = body.length > 3 ? text(body[3]) : "";
        String address = body.length > 4 ? text(body[4]) : "";
        if (body.length < 8 || body[1] == null || !Arrays.equals(VERSION, body[1])) {
            return malformed(requestId, domain, address, "not a ZAP 1.0 request of 8 frames or more");
        }
        String mechanism = text(body[6]);
        if (!mechanism.equals("CURVE")) {
            return malformed(requestId, domain, address, "mechanism " + mechanism + ", not CURVE");
        }
        if (body.length != 8 || body[7] == null || body[7].length != Curve.KEY_BYTES) {
            return malformed(requestId, domain, address, "CURVE credentials are one frame of 32 bytes");
        }
        String key = Curve.z85Encode(body[7]);
        boolean frontend = domain.equals(Security.FRONTEND_DOMAIN);
        boolean workerSide = domain.equals(Security.BACKEND_DOMAIN) || domain.equals(Security.HEARTBEAT_DOMAIN);
        if (!frontend && !workerSide) {
            return malformed(requestId, domain, address, "unknown ZAP domain");
        }
        boolean allowed = frontend ? lists.clients().allows(key) || key.equals(lists.brokerKey())
            : lists.workers().allows(key);
        if (allowed) {
            return new Decision(Outcome.ALLOWED, domain, address, key, reply(requestId, "200", "OK", key), "allowed");
        }
        String reason;
        if (frontend && lists.workers().fileOf(key) != null) {
            reason = "a worker's key (" + lists.workers().fileOf(key).getFileName() + "), not in --allow-clients "
                + lists.clients().dir();
        } else if (frontend) {
            reason = "not in --allow-clients " + lists.clients().dir();
        } else if (lists.clients().fileOf(key) != null) {
            reason = "a client's key (" + lists.clients().fileOf(key).getFileName() + "), which may not register as a "
                + "worker: it is not in --allow-workers " + lists.workers().dir();
        } else {
            reason = "not in --allow-workers " + lists.workers().dir();
        }
        return new Decision(frontend ? Outcome.DENIED_CLIENT : Outcome.DENIED_WORKER, domain, address, key,
            reply(requestId, "400", "key not allowed", ""), reason);
    }

    private static Decision malformed(byte[] requestId, String domain, String address, String why) {
        return new Decision(Outcome.MALFORMED, domain, address, "", reply(requestId, "400", "malformed", ""), why);
    }

    private static byte[][] reply(byte[] requestId, String status, String text, String userId) {
        return new byte[][] {EMPTY, VERSION, requestId, ascii(status), ascii(text), ascii(userId), EMPTY};
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** A frame as printable text for the log: at most {@value #MAX_TEXT} characters, others shown as '?'. */
    static String text(byte[] frame) {
        if (frame == null) {
            return "";
        }
        int length = Math.min(frame.length, MAX_TEXT);
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int c = frame[i] & 0xff;
            out.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
        }
        return frame.length > MAX_TEXT ? out.append("...").toString() : out.toString();
    }
}
