package io.powerhose.internal.protocol;

import io.powerhose.ProtocolException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CodecTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void backendMessagesRoundTrip() {
        BackendCodec.Ready ready = (BackendCodec.Ready) BackendCodec.decodeFromWorker(BackendCodec.ready(42, 3, "c", 2));
        assertEquals(new BackendCodec.Ready(42, 3, "c", 2), ready);
        BackendCodec.Reply reply = (BackendCodec.Reply) BackendCodec.decodeFromWorker(
            BackendCodec.reply(b("id"), false, b("Err: x")));
        assertArrayEquals(b("id"), reply.jobId());
        assertEquals(false, reply.ok());
        BackendCodec.Request request = (BackendCodec.Request) BackendCodec.decodeFromBroker(
            BackendCodec.request(b("id"), 1234, b("NONE:::x")));
        assertEquals(1234, request.budgetMs());
        assertInstanceOf(BackendCodec.Heartbeat.class, BackendCodec.decodeFromWorker(BackendCodec.heartbeat()));
        assertInstanceOf(BackendCodec.Disconnect.class, BackendCodec.decodeFromBroker(BackendCodec.disconnect()));
    }

    @Test
    void readyWithoutLabelIsAccepted() {
        byte[][] frames = {b("PHW1"), {1}, b("7"), b("2")};
        assertEquals(new BackendCodec.Ready(7, 2, "", 0), BackendCodec.decodeFromWorker(frames));
        byte[][] withLabel = {b("PHW1"), {1}, b("7"), b("2"), b("c")};
        assertEquals(new BackendCodec.Ready(7, 2, "c", 0), BackendCodec.decodeFromWorker(withLabel),
            "a worker that does not say prefetch gets none");
    }

    @Test
    void frontendMessagesRoundTrip() {
        FrontendCodec.Request request = (FrontendCodec.Request) FrontendCodec.decodeFromClient(
            FrontendCodec.request(b("r1"), 7500, b("NONE:::x")));
        assertArrayEquals(b("r1"), request.requestId());
        assertEquals(7500, request.waitMs());
        assertArrayEquals(b("NONE:::x"), request.payload());
        FrontendCodec.Reply reply = (FrontendCodec.Reply) FrontendCodec.decodeFromBroker(
            FrontendCodec.reply(b("r2"), ReplyStatus.NO_WORKER, 9, ReplyDetail.NoWorker.NONE_REGISTERED.encode()));
        assertArrayEquals(b("r2"), reply.requestId());
        assertEquals(ReplyStatus.NO_WORKER, reply.status());
        assertEquals(9, reply.pid());
        assertEquals(ReplyDetail.NoWorker.NONE_REGISTERED, ReplyDetail.NoWorker.decode(reply.payload()));
        FrontendCodec.Pong pong = (FrontendCodec.Pong) FrontendCodec.decodeFromBroker(FrontendCodec.pong(b("r3"), 5));
        assertArrayEquals(b("r3"), pong.requestId());
        assertEquals(5, pong.brokerPid());
    }

    @Test
    void replyDetailsAreTypedBothWaysOnTheSeedsWire() {
        assertArrayEquals(b("No worker"), ReplyDetail.NoWorker.NONE_REGISTERED.encode(), "the seed's text");
        assertArrayEquals(b("broker stopping"), ReplyDetail.NoWorker.BROKER_STOPPING.encode());
        assertEquals(ReplyDetail.NoWorker.BROKER_STOPPING, ReplyDetail.NoWorker.decode(b("broker stopping")));
        assertEquals(ReplyDetail.NoWorker.OTHER, ReplyDetail.NoWorker.decode(b("No worker, really")));
        assertArrayEquals(b("10000"), ReplyDetail.encodeNumber(10_000), "BUSY's bound: digits");
        assertEquals(10_000, ReplyDetail.decodeNumber(b("10000")));
        assertEquals(ReplyDetail.UNKNOWN, ReplyDetail.decodeNumber(b("10 jobs")));
        assertEquals(ReplyDetail.UNKNOWN, ReplyDetail.decodeNumber(b("")));
        assertEquals(ReplyDetail.UNKNOWN, ReplyDetail.decodeNumber(b("-3")));
        assertEquals(new ReplyDetail.Failure("ValueError", "bad: input", "ValueError: bad: input"),
            ReplyDetail.Failure.decode(b("ValueError: bad: input")));
        assertEquals(new ReplyDetail.Failure("", "it broke: badly", "it broke: badly"),
            ReplyDetail.Failure.decode(b("it broke: badly")), "a head with a space names no class");
        assertEquals(new ReplyDetail.Failure("", "plain", "plain"), ReplyDetail.Failure.decode(b("plain")));
    }

    @Test
    void defaultRequestIsFiveFramesAndFlagsTravelInAnOptionalSixth() {
        assertEquals(5, FrontendCodec.request(b("r1"), 10, b("NONE:::x"), 0).length,
            "a request without flags is the five frames every broker reads");
        byte[][] retryable = FrontendCodec.request(b("r1"), 10, b("NONE:::x"), FrontendCodec.FLAG_RETRYABLE);
        assertEquals(6, retryable.length);
        assertArrayEquals(b("1"), retryable[5]);
        FrontendCodec.Request request = (FrontendCodec.Request) FrontendCodec.decodeFromClient(retryable);
        assertEquals(1, request.flags());
        assertEquals(true, request.retryable());
        assertArrayEquals(b("NONE:::x"), request.payload());
        FrontendCodec.Request plain = (FrontendCodec.Request) FrontendCodec.decodeFromClient(
            FrontendCodec.request(b("r1"), 10, b("NONE:::x")));
        assertEquals(0, plain.flags());
        assertEquals(false, plain.retryable());
        FrontendCodec.Request unknownBits = (FrontendCodec.Request) FrontendCodec.decodeFromClient(
            new byte[][] {b("PHC1"), {2}, b("r1"), b("10"), b("NONE:::x"), b("6")});
        assertEquals(false, unknownBits.retryable(), "bits this version does not know are ignored");
        ProtocolException bad = assertThrows(ProtocolException.class, () -> FrontendCodec.decodeFromClient(
            new byte[][] {b("PHC1"), {2}, b("r1"), b("10"), b("NONE:::x"), b("retry")}));
        assertEquals("REQUEST flags", bad.frame());
        assertThrows(ProtocolException.class, () -> FrontendCodec.decodeFromClient(
            new byte[][] {b("PHC1"), {2}, b("r1"), b("10"), b("NONE:::x"), b("1"), b("1")}));
    }

    @Test
    void cancelRoundTripsAndMustCarryOnlyARequestId() {
        byte[][] frames = FrontendCodec.cancel(b("r7"));
        assertArrayEquals(new byte[][] {b("PHC1"), {9}, b("r7")}, frames);
        FrontendCodec.Cancel cancel = (FrontendCodec.Cancel) FrontendCodec.decodeFromClient(frames);
        assertArrayEquals(b("r7"), cancel.requestId());
        assertEquals(Command.CANCEL, Command.fromWire((byte) 9));
        ProtocolException extra = assertThrows(ProtocolException.class, () -> FrontendCodec.decodeFromClient(
            new byte[][] {b("PHC1"), {9}, b("r7"), b("x")}));
        assertEquals("CANCEL", extra.frame());
        assertThrows(ProtocolException.class, () -> FrontendCodec.decodeFromClient(
            new byte[][] {b("PHC1"), {9}, new byte[0]}));
        assertThrows(ProtocolException.class, () -> FrontendCodec.decodeFromBroker(frames),
            "a broker never sends CANCEL");
    }

    @Test
    void randomRequestsAndCancelsRoundTrip() {
        Random random = new Random(5);
        for (int i = 0; i < 20_000; i++) {
            byte[] id = new byte[1 + random.nextInt(Frames.MAX_ID_BYTES)];
            random.nextBytes(id);
            byte[] payload = new byte[random.nextInt(64)];
            random.nextBytes(payload);
            long timeoutMs = random.nextInt(Integer.MAX_VALUE);
            long flags = random.nextInt(4) == 0 ? Math.floorMod(random.nextLong(), 1_000_000_000_000_000_000L) : 0;
            FrontendCodec.Request request = (FrontendCodec.Request) FrontendCodec.decodeFromClient(
                FrontendCodec.request(id, timeoutMs, payload, flags));
            assertArrayEquals(id, request.requestId());
            assertArrayEquals(payload, request.payload());
            assertEquals(timeoutMs, request.waitMs());
            assertEquals(flags, request.flags());
            assertArrayEquals(id, ((FrontendCodec.Cancel) FrontendCodec.decodeFromClient(
                FrontendCodec.cancel(id))).requestId());
        }
    }

    @Test
    void legacyRequestKeepsItsEnvelope() {
        byte[][] frames = {b("hop"), new byte[0], b("NONE:::x")};
        FrontendCodec.LegacyRequest legacy = (FrontendCodec.LegacyRequest) FrontendCodec.decodeFromClient(frames);
        assertEquals(2, legacy.envelope().length);
        byte[][] answer = FrontendCodec.legacyReply(legacy.envelope(), true, 31388, b("payload-back"));
        assertArrayEquals(b("31388:OK:payload-back"), answer[2]);
        assertInstanceOf(FrontendCodec.LegacyPing.class, FrontendCodec.decodeFromClient(
            new byte[][] {new byte[0], b("PING")}));
    }

    @Test
    void malformedMessagesRaiseProtocolExceptionNamingTheFrame() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> BackendCodec.decodeFromWorker(
            new byte[][] {b("PHW1"), {1}, b("12x"), b("1")}));
        assertEquals("READY pid", e.frame());
        assertThrows(ProtocolException.class, () -> BackendCodec.decodeFromWorker(new byte[][] {b("PHW9"), {4}}));
        assertThrows(ProtocolException.class, () -> BackendCodec.decodeFromWorker(
            new byte[][] {b("PHW1"), {1}, b("1"), b("0")}));
        assertThrows(ProtocolException.class, () -> FrontendCodec.decodeFromClient(new byte[][] {b("x"), b("y")}));
        assertThrows(ProtocolException.class, () -> FrontendCodec.decodeFromClient(
            new byte[][] {b("PHC1"), {2}, new byte[256], b("1"), b("x")}));
        assertArrayEquals(new byte[0], FrontendCodec.requestIdForError(new byte[][] {b("PHC1"), {2}}));
        assertNull(FrontendCodec.requestIdForError(new byte[][] {b("x"), b("y")}));
    }

    @Test
    void unknownCommandMapsToUnknown() {
        assertEquals(Command.UNKNOWN, Command.fromWire((byte) 0x63));
        assertEquals(Command.STATUS, Command.fromWire((byte) 8));
    }

    @Test
    void randomFramesOnlyEverRaiseProtocolException() {
        Random random = new Random(11);
        byte[][] seeds = {b("PHC1"), b("PHW1"), {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, b("1"), b("OK"), b("ERROR"), b("9"),
            new byte[0], b("PING"), b("NONE:::x")};
        for (int i = 0; i < 50_000; i++) {
            byte[][] frames = new byte[random.nextInt(8)][];
            for (int f = 0; f < frames.length; f++) {
                if (random.nextInt(4) == 0) {
                    frames[f] = new byte[random.nextInt(10)];
                    random.nextBytes(frames[f]);
                } else {
                    frames[f] = seeds[random.nextInt(seeds.length)];
                }
            }
            for (int decoder = 0; decoder < 4; decoder++) {
                try {
                    switch (decoder) {
                        case 0 -> BackendCodec.decodeFromWorker(frames);
                        case 1 -> BackendCodec.decodeFromBroker(frames);
                        case 2 -> FrontendCodec.decodeFromClient(frames);
                        default -> FrontendCodec.decodeFromBroker(frames);
                    }
                } catch (ProtocolException expected) {
                    // the only failure a decoder may report
                }
            }
        }
    }
}
