package io.powerhose.internal.protocol;

import io.powerhose.ProtocolException;

import java.nio.charset.StandardCharsets;

/**
 * The backend protocol between broker and workers (docs/PROTOCOL.md, "Backend"), both directions.
 * Works on frames without the ROUTER's routing-id frame; never touches a socket. Pure functions.
 */
public final class BackendCodec {
    /** The version frame of the backend protocol. */
    public static final byte[] VERSION = "PHW1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK = ReplyStatus.OK.wire();
    private static final byte[] ERROR = ReplyStatus.ERROR.wire();
    private static final byte[][] HEARTBEAT = {VERSION, {Command.HEARTBEAT.value()}};
    private static final byte[][] BEAT = {"BEAT".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[][] DISCONNECT = {VERSION, {Command.DISCONNECT.value()}};

    private BackendCodec() {
    }

    /** A message a worker sends to the broker. */
    public sealed interface FromWorker permits Ready, Reply, Heartbeat, Disconnect {
    }

    /** A message the broker sends to a worker. */
    public sealed interface FromBroker permits Request, Heartbeat, Disconnect {
    }

    /**
     * READY: the worker registers. The numbers are as sent (up to 18 digits); the broker clamps them to its limits.
     *
     * @param pid the worker's process id
     * @param capacity how many jobs it runs at once, 1 or more
     * @param label what kind of worker it is ("java", "c", ...), or "" when not said
     * @param prefetch how many jobs beyond capacity it accepts and queues (0 when not said)
     */
    public record Ready(long pid, long capacity, String label, long prefetch) implements FromWorker {
    }

    /**
     * REPLY from a worker.
     *
     * @param jobId the job id from the REQUEST
     * @param ok true for OK, false for ERROR
     * @param payload the result, or the error text
     */
    public record Reply(byte[] jobId, boolean ok, byte[] payload) implements FromWorker {
    }

    /**
     * REQUEST to a worker.
     *
     * @param jobId an opaque id to send back
     * @param budgetMs how long the caller will still wait
     * @param payload the serialized job
     */
    public record Request(byte[] jobId, long budgetMs, byte[] payload) implements FromBroker {
    }

    /** HEARTBEAT, either way. */
    public record Heartbeat() implements FromWorker, FromBroker {
    }

    /**
     * DISCONNECT, either way. From the broker it may carry a reason: then it refuses what the worker sent (a READY
     * it cannot accept, a message from a worker it does not know that is not READY).
     *
     * @param reason why the broker refuses, or "" (always "" from a worker)
     */
    public record Disconnect(String reason) implements FromWorker, FromBroker {
    }

    private static final Heartbeat HEARTBEAT_MESSAGE = new Heartbeat();
    private static final Disconnect DISCONNECT_MESSAGE = new Disconnect("");

    /**
     * Encodes READY.
     *
     * @param pid the worker's pid
     * @param capacity jobs at once
     * @param label the kind of worker
     * @param prefetch jobs beyond capacity it queues
     * @return the frames
     */
    public static byte[][] ready(long pid, int capacity, String label, int prefetch) {
        return new byte[][] {VERSION, {Command.READY.value()}, Frames.decimal(pid), Frames.decimal(capacity),
            label.getBytes(StandardCharsets.UTF_8), Frames.decimal(prefetch)};
    }

    /**
     * Encodes a worker's REPLY.
     *
     * @param jobId the job id
     * @param ok true for OK
     * @param payload result or error text
     * @return the frames
     */
    public static byte[][] reply(byte[] jobId, boolean ok, byte[] payload) {
        return new byte[][] {VERSION, {Command.REPLY.value()}, jobId, ok ? OK : ERROR, payload};
    }

    /**
     * Encodes a REQUEST to a worker.
     *
     * @param jobId the job id
     * @param budgetMs the time left
     * @param payload the job payload
     * @return the frames
     */
    public static byte[][] request(byte[] jobId, long budgetMs, byte[] payload) {
        return new byte[][] {VERSION, {Command.REQUEST.value()}, jobId, Frames.decimal(Math.max(0, budgetMs)), payload};
    }

    /** @return the HEARTBEAT frames (shared; do not modify) */
    public static byte[][] heartbeat() {
        return HEARTBEAT;
    }

    /**
     * @return the beat the broker publishes on its heartbeat PUB, one frame {@code BEAT} (shared; do not modify); a
     *     worker counts any message there as a beat (docs/PROTOCOL.md, "Heartbeat")
     */
    public static byte[][] beat() {
        return BEAT;
    }

    /** @return the DISCONNECT frames (shared; do not modify) */
    public static byte[][] disconnect() {
        return DISCONNECT;
    }

    /**
     * Encodes a refusal: DISCONNECT with a third frame that says why.
     *
     * @param reason what was wrong, UTF-8 text
     * @return the frames
     */
    public static byte[][] disconnect(String reason) {
        return new byte[][] {VERSION, {Command.DISCONNECT.value()}, reason.getBytes(StandardCharsets.UTF_8)};
    }

    /**
     * Decodes what a worker sent (without the routing id).
     *
     * @param frames the frames
     * @return the message
     * @throws ProtocolException when malformed or of an unknown command
     */
    public static FromWorker decodeFromWorker(byte[][] frames) {
        Command command = header(frames);
        switch (command) {
            case READY -> {
                Frames.checkCount(frames, 4, 6, "READY");
                long pid = Frames.parseDecimal(frames[2], "READY pid");
                long capacity = Frames.parseDecimal(frames[3], "READY capacity");
                if (capacity < 1) {
                    throw new ProtocolException("READY capacity", "must be 1 or more, got " + capacity);
                }
                String label = frames.length >= 5 ? new String(frames[4], StandardCharsets.UTF_8) : "";
                long prefetch = frames.length == 6 ? Frames.parseDecimal(frames[5], "READY prefetch") : 0;
                return new Ready(pid, capacity, label, prefetch);
            }
            case REPLY -> {
                Frames.checkCount(frames, 5, 5, "REPLY");
                byte[] jobId = Frames.checkId(frames[2], "REPLY job id");
                boolean ok;
                if (Frames.is(frames[3], OK)) {
                    ok = true;
                } else if (Frames.is(frames[3], ERROR)) {
                    ok = false;
                } else {
                    throw new ProtocolException("REPLY status", "expected OK or ERROR, got "
                        + Frames.printable(frames[3]));
                }
                return new Reply(jobId, ok, frames[4]);
            }
            case HEARTBEAT -> {
                Frames.checkCount(frames, 2, 2, "HEARTBEAT");
                return HEARTBEAT_MESSAGE;
            }
            case DISCONNECT -> {
                Frames.checkCount(frames, 2, 2, "DISCONNECT");
                return DISCONNECT_MESSAGE;
            }
            default -> throw new ProtocolException("command", "a worker may not send " + describe(frames[1]));
        }
    }

    /**
     * Decodes what the broker sent to a worker.
     *
     * @param frames the frames
     * @return the message
     * @throws ProtocolException when malformed or of an unknown command
     */
    public static FromBroker decodeFromBroker(byte[][] frames) {
        Command command = header(frames);
        switch (command) {
            case REQUEST -> {
                Frames.checkCount(frames, 5, 5, "REQUEST");
                byte[] jobId = Frames.checkId(frames[2], "REQUEST job id");
                long budgetMs = Frames.parseDecimal(frames[3], "REQUEST budget");
                return new Request(jobId, budgetMs, frames[4]);
            }
            case HEARTBEAT -> {
                return HEARTBEAT_MESSAGE;
            }
            case DISCONNECT -> {
                return frames.length >= 3 ? new Disconnect(new String(frames[2], StandardCharsets.UTF_8))
                    : DISCONNECT_MESSAGE;
            }
            default -> throw new ProtocolException("command", "the broker may not send " + describe(frames[1]));
        }
    }

    /**
     * Reads the command of a message that may be malformed, to decide how to answer it.
     *
     * @param frames the frames (without routing id)
     * @return the command, {@link Command#UNKNOWN} for an unknown byte, or null when the message does not start
     *     with {@code [PHW1][one byte]}
     */
    public static Command commandOrNull(byte[][] frames) {
        if (frames.length < 2 || !Frames.is(frames[0], VERSION) || frames[1].length != 1) {
            return null;
        }
        return Command.fromWire(frames[1][0]);
    }

    private static Command header(byte[][] frames) {
        if (frames.length < 2) {
            throw new ProtocolException("message", "expected at least 2 frames, got " + frames.length);
        }
        if (!Frames.is(frames[0], VERSION)) {
            throw new ProtocolException("version", "expected PHW1, got " + Frames.printable(frames[0]));
        }
        return Frames.command(frames[1]);
    }

    private static String describe(byte[] commandFrame) {
        Command command = Frames.command(commandFrame);
        return command == Command.UNKNOWN
            ? String.format("unknown command 0x%02x", commandFrame[0] & 0xff)
            : command.name();
    }
}
