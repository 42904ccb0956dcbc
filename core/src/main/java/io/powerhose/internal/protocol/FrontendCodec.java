package io.powerhose.internal.protocol;

import io.powerhose.ProtocolException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The frontend protocol between clients and the broker (docs/PROTOCOL.md, "Frontend"), v1 and the
 * Powerhose 0.x REQ form, both directions. Works on frames without the ROUTER's routing-id frame.
 * Pure functions.
 */
public final class FrontendCodec {
    /** The version frame of the v1 client protocol. */
    public static final byte[] VERSION = "PHC1".getBytes(StandardCharsets.US_ASCII);
    /** REQUEST flag bit: run the job once more on another worker if its worker is lost (at-least-once). */
    public static final long FLAG_RETRYABLE = 1;
    private static final byte[] LEGACY_PING = "PING".getBytes(StandardCharsets.US_ASCII);

    private FrontendCodec() {
    }

    /** A message a client sends to the broker. */
    public sealed interface FromClient permits Request, Ping, Status, Cancel, LegacyRequest, LegacyPing {
    }

    /** A message the broker sends to a v1 client. */
    public sealed interface FromBroker permits Reply, Pong, StatusReply {
    }

    /**
     * v1 REQUEST.
     *
     * @param requestId the client's id for the call
     * @param waitMs the caller's wait: how long it will still wait for the answer (docs/PROTOCOL.md, "Words")
     * @param payload the job payload
     * @param flags the flag bits ({@link #FLAG_RETRYABLE}); 0 when the frame is absent
     */
    public record Request(byte[] requestId, long waitMs, byte[] payload, long flags) implements FromClient {
        /** @return whether the client asked for one retry if the worker is lost */
        public boolean retryable() {
            return (flags & FLAG_RETRYABLE) != 0;
        }
    }

    /**
     * v1 PING.
     *
     * @param requestId the client's id for the call
     */
    public record Ping(byte[] requestId) implements FromClient {
    }

    /**
     * v1 STATUS request.
     *
     * @param requestId the client's id for the call
     */
    public record Status(byte[] requestId) implements FromClient {
    }

    /**
     * v1 CANCEL: the caller no longer wants the answer of a request.
     *
     * @param requestId the id of the request to cancel
     */
    public record Cancel(byte[] requestId) implements FromClient {
    }

    /**
     * A 0.x job: {@code [envelope...][""][payload]}.
     *
     * @param envelope the frames before the payload, empty delimiter included, to send back in front
     *                 of the reply
     * @param payload the job payload
     */
    public record LegacyRequest(byte[][] envelope, byte[] payload) implements FromClient {
    }

    /**
     * A 0.x PING.
     *
     * @param envelope the frames before {@code PING}, empty delimiter included
     */
    public record LegacyPing(byte[][] envelope) implements FromClient {
    }

    /**
     * v1 REPLY.
     *
     * @param requestId the client's id for the call
     * @param status the status
     * @param pid the worker's pid, or the broker's when the broker answered itself
     * @param payload the result or the error text
     */
    public record Reply(byte[] requestId, ReplyStatus status, long pid, byte[] payload) implements FromBroker {
    }

    /**
     * v1 PONG.
     *
     * @param requestId the client's id for the call
     * @param brokerPid the broker's pid
     */
    public record Pong(byte[] requestId, long brokerPid) implements FromBroker {
    }

    /**
     * The answer to STATUS.
     *
     * @param requestId the client's id for the call
     * @param text one {@code key=value} per line
     */
    public record StatusReply(byte[] requestId, String text) implements FromBroker {
    }

    /**
     * Encodes a v1 REQUEST.
     *
     * @param requestId the id
     * @param waitMs the caller's wait
     * @param payload the job payload
     * @return the frames
     */
    public static byte[][] request(byte[] requestId, long waitMs, byte[] payload) {
        return new byte[][] {VERSION, {Command.REQUEST.value()}, requestId, Frames.decimal(Math.max(0, waitMs)),
            payload};
    }

    /**
     * Encodes a v1 REQUEST with flags; without the flags frame when {@code flags} is 0, so that a default request
     * is the five frames every broker reads.
     *
     * @param requestId the id
     * @param waitMs the caller's wait
     * @param payload the job payload
     * @param flags the flag bits, 0 or more
     * @return the frames
     */
    public static byte[][] request(byte[] requestId, long waitMs, byte[] payload, long flags) {
        if (flags == 0) {
            return request(requestId, waitMs, payload);
        }
        return new byte[][] {VERSION, {Command.REQUEST.value()}, requestId, Frames.decimal(Math.max(0, waitMs)),
            payload, Frames.decimal(flags)};
    }

    /**
     * Encodes a v1 CANCEL.
     *
     * @param requestId the id of the request to cancel
     * @return the frames
     */
    public static byte[][] cancel(byte[] requestId) {
        return new byte[][] {VERSION, {Command.CANCEL.value()}, requestId};
    }

    /**
     * Encodes a v1 PING.
     *
     * @param requestId the id
     * @return the frames
     */
    public static byte[][] ping(byte[] requestId) {
        return new byte[][] {VERSION, {Command.PING.value()}, requestId};
    }

    /**
     * Encodes a v1 STATUS request.
     *
     * @param requestId the id
     * @return the frames
     */
    public static byte[][] status(byte[] requestId) {
        return new byte[][] {VERSION, {Command.STATUS.value()}, requestId};
    }

    /**
     * Encodes a v1 REPLY.
     *
     * @param requestId the id
     * @param status the status
     * @param pid the answering process
     * @param payload the payload
     * @return the frames
     */
    public static byte[][] reply(byte[] requestId, ReplyStatus status, long pid, byte[] payload) {
        return new byte[][] {VERSION, {Command.REPLY.value()}, requestId, status.wire(), Frames.decimal(pid), payload};
    }

    /**
     * Encodes a v1 PONG.
     *
     * @param requestId the id
     * @param brokerPid the broker's pid
     * @return the frames
     */
    public static byte[][] pong(byte[] requestId, long brokerPid) {
        return new byte[][] {VERSION, {Command.PONG.value()}, requestId, Frames.decimal(brokerPid)};
    }

    /**
     * Encodes the answer to STATUS.
     *
     * @param requestId the id
     * @param text the status lines
     * @return the frames
     */
    public static byte[][] statusReply(byte[] requestId, String text) {
        return new byte[][] {VERSION, {Command.STATUS.value()}, requestId, text.getBytes(StandardCharsets.UTF_8)};
    }

    /**
     * Encodes a 0.x reply: the envelope, then {@code <pid>:<OK|ERROR>:<payload>}.
     *
     * @param envelope the request's envelope (empty delimiter included)
     * @param ok true for OK
     * @param pid the answering process
     * @param payload the result or error text
     * @return the frames
     */
    public static byte[][] legacyReply(byte[][] envelope, boolean ok, long pid, byte[] payload) {
        byte[] head = (pid + (ok ? ":OK:" : ":ERROR:")).getBytes(StandardCharsets.US_ASCII);
        byte[] body = Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, body, head.length, payload.length);
        return legacyFrames(envelope, body);
    }

    /**
     * Encodes the 0.x answer to PING: the envelope, then the broker's pid.
     *
     * @param envelope the request's envelope
     * @param brokerPid the broker's pid
     * @return the frames
     */
    public static byte[][] legacyPong(byte[][] envelope, long brokerPid) {
        return legacyFrames(envelope, Frames.decimal(brokerPid));
    }

    private static byte[][] legacyFrames(byte[][] envelope, byte[] body) {
        byte[][] frames = Arrays.copyOf(envelope, envelope.length + 1);
        frames[envelope.length] = body;
        return frames;
    }

    /**
     * Says where to send INVALID for a v1 message the broker cannot decode: the request id frame as the client sent
     * it, even when empty or longer than {@value Frames#MAX_ID_BYTES} bytes, so that the client can match the answer;
     * an empty request id when the message has no third frame.
     *
     * @param frames the frames (without routing id)
     * @return the request id to answer with, or null when the message is not v1 (its first frame is not PHC1)
     */
    public static byte[] requestIdForError(byte[][] frames) {
        if (frames.length == 0 || !Frames.is(frames[0], VERSION)) {
            return null;
        }
        return frames.length >= 3 ? frames[2] : Frames.EMPTY;
    }

    /**
     * Says where to send a 0.x error for a message that is not v1 and not a valid 0.x request, but carries an
     * envelope (frames up to an empty delimiter, as a REQ socket sends): that envelope.
     *
     * @param frames the frames (without routing id)
     * @return the envelope, empty delimiter included, or null when the message is v1 or has no empty frame
     */
    public static byte[][] envelopeForError(byte[][] frames) {
        if (frames.length == 0 || Frames.is(frames[0], VERSION)) {
            return null;
        }
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].length == 0) {
                return Arrays.copyOf(frames, i + 1);
            }
        }
        return null;
    }

    /**
     * Returns the 0.x envelope of a message (up to and including the first empty frame), when the message
     * looks like one with a single frame after it; null otherwise.
     *
     * @param frames the frames
     * @return the envelope, or null
     */
    public static byte[][] legacyEnvelopeOrNull(byte[][] frames) {
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].length == 0) {
                return i == frames.length - 2 ? Arrays.copyOf(frames, i + 1) : null;
            }
        }
        return null;
    }

    /**
     * Decodes what a client sent (without the routing id).
     *
     * @param frames the frames
     * @return the message
     * @throws ProtocolException when malformed or of an unknown command
     */
    public static FromClient decodeFromClient(byte[][] frames) {
        if (frames.length == 0) {
            throw new ProtocolException("message", "no frames");
        }
        if (Frames.is(frames[0], VERSION)) {
            return decodeV1(frames);
        }
        byte[][] envelope = legacyEnvelopeOrNull(frames);
        byte[][] someEnvelope = envelope == null ? envelopeForError(frames) : null;
        if (someEnvelope != null) {
            throw new ProtocolException("message", "a 0.x request is [envelope][\"\"][payload]: expected 1 frame after "
                + "the empty delimiter, got " + (frames.length - someEnvelope.length));
        }
        if (envelope == null) {
            throw new ProtocolException("message",
                "neither v1 (first frame PHC1) nor 0.x ([\"\"][payload]): first frame "
                + Frames.printable(frames[0]) + ", " + frames.length + " frames");
        }
        byte[] payload = frames[frames.length - 1];
        return Frames.is(payload, LEGACY_PING) ? new LegacyPing(envelope) : new LegacyRequest(envelope, payload);
    }

    private static FromClient decodeV1(byte[][] frames) {
        if (frames.length < 3) {
            throw new ProtocolException("message", "expected at least 3 frames, got " + frames.length);
        }
        Command command = Frames.command(frames[1]);
        byte[] requestId = Frames.checkId(frames[2], "request id");
        switch (command) {
            case REQUEST -> {
                Frames.checkCount(frames, 5, 6, "REQUEST");
                long flags = frames.length == 6 ? Frames.parseDecimal(frames[5], "REQUEST flags") : 0;
                return new Request(requestId, Frames.parseDecimal(frames[3], "REQUEST timeout"), frames[4], flags);
            }
            case PING -> {
                Frames.checkCount(frames, 3, 3, "PING");
                return new Ping(requestId);
            }
            case STATUS -> {
                Frames.checkCount(frames, 3, 3, "STATUS");
                return new Status(requestId);
            }
            case CANCEL -> {
                Frames.checkCount(frames, 3, 3, "CANCEL");
                return new Cancel(requestId);
            }
            default -> throw new ProtocolException("command", command == Command.UNKNOWN
                ? String.format("unknown command 0x%02x", frames[1][0] & 0xff)
                : "a client may not send " + command);
        }
    }

    /**
     * Decodes what the broker sent to a v1 client.
     *
     * @param frames the frames
     * @return the message
     * @throws ProtocolException when malformed
     */
    public static FromBroker decodeFromBroker(byte[][] frames) {
        if (frames.length < 3 || !Frames.is(frames[0], VERSION)) {
            throw new ProtocolException("message", "expected [PHC1][command][request id]..., got " + frames.length
                + " frames");
        }
        Command command = Frames.command(frames[1]);
        // Any length: the broker answers INVALID with the request id as the client sent it, even an empty one.
        byte[] requestId = frames[2];
        switch (command) {
            case REPLY -> {
                Frames.checkCount(frames, 6, 6, "REPLY");
                ReplyStatus status = ReplyStatus.fromWire(frames[3]);
                if (status == null) {
                    throw new ProtocolException("REPLY status", "unknown status " + Frames.printable(frames[3]));
                }
                return new Reply(requestId, status, Frames.parseDecimal(frames[4], "REPLY pid"), frames[5]);
            }
            case PONG -> {
                Frames.checkCount(frames, 4, 4, "PONG");
                return new Pong(requestId, Frames.parseDecimal(frames[3], "PONG pid"));
            }
            case STATUS -> {
                Frames.checkCount(frames, 4, 4, "STATUS");
                return new StatusReply(requestId, new String(frames[3], StandardCharsets.UTF_8));
            }
            default -> throw new ProtocolException("command", "the broker may not send " + command);
        }
    }
}
