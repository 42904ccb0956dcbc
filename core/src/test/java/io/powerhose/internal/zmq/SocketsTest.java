package io.powerhose.internal.zmq;

import io.powerhose.TransportException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.zeromq.ZMQ;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole messages through {@link Sockets} and {@link Native} over real ipc socket pairs: every frame count and
 * size that matters, a random fuzz compared byte for byte, the expected refusals (nothing waiting, a full queue,
 * an unknown peer) as return values that leave no frame behind, and closed sockets as exceptions.
 */
@Timeout(120)
class SocketsTest {
    @TempDir
    Path dir;

    @Test
    void messagesOfOneTwoAndAThousandFramesArriveWholeAndInOrder() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            for (int count : new int[] {1, 2, 16, 17, 1000}) {
                byte[][] frames = frames(new SplittableRandom(count), count, 40);
                assertTrue(Sockets.send(pair.connected, null, frames));
                assertFramesEqual(frames, Sockets.receiveWaiting(pair.bound), count + " frames");
            }
        }
    }

    @Test
    void emptyFramesAndA32MiBFrameArriveIntact() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            byte[][] empty = {new byte[0], new byte[0], new byte[0]};
            assertTrue(Sockets.send(pair.connected, null, empty));
            assertFramesEqual(empty, Sockets.receiveWaiting(pair.bound), "three empty frames");

            byte[] big = new byte[32 << 20];
            new SplittableRandom(32).nextBytes(big);
            byte[][] withBig = {{1, 2, 3}, big, new byte[0]};
            assertTrue(Sockets.send(pair.bound, null, withBig));
            assertFramesEqual(withBig, Sockets.receiveWaiting(pair.connected), "a 32 MiB frame between others");
        }
    }

    @Test
    void aMessageWithNoFrameIsRefusedAndSendsNothing() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            assertThrows(IllegalArgumentException.class, () -> Sockets.send(pair.connected, null, new byte[0][]));
            assertEquals(Native.EINVAL, Native.send(pair.connected, null, new byte[0][], 0));
            byte[][] next = {{'n', 'e', 'x', 't'}};
            assertTrue(Sockets.send(pair.connected, null, next));
            assertFramesEqual(next, Sockets.receiveWaiting(pair.bound), "the next message, alone");
        }
    }

    @Test
    void aNullFrameIsRefusedBeforeAnyFrameIsSent() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            byte[][] withNull = {{1}, null, {3}};
            assertThrows(IllegalArgumentException.class, () -> Sockets.send(pair.connected, null, withNull));
            assertThrows(NullPointerException.class, () -> Sockets.send(pair.connected, null, null));
            byte[][] next = {{9}};
            assertTrue(Sockets.send(pair.connected, null, next));
            assertFramesEqual(next, Sockets.receiveWaiting(pair.bound), "no frame of the refused message before it");
        }
    }

    @Test
    void nothingWaitingIsAnEmptyResultNotAnError() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            assertEquals(0, Sockets.receive(pair.bound).length);
            assertEquals(0, Sockets.receiveBatch(pair.bound, new byte[8][][], 8));
            assertEquals(0, Sockets.receiveBatch(pair.bound, new byte[8][], new byte[8][][], 8));
        }
    }

    @Test
    void aBatchTakesWhatIsWaitingUpToItsLimit() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            for (int i = 0; i < 10; i++) {
                Sockets.send(pair.connected, null, new byte[][] {{(byte) i}, {(byte) (i * 2)}});
            }
            byte[][][] messages = new byte[4][][];
            List<Integer> seen = new ArrayList<>();
            long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (seen.size() < 10 && System.nanoTime() - deadlineNs < 0) {
                int n = Sockets.receiveBatch(pair.bound, messages, 3);
                assertTrue(n <= 3, "at most max: " + n);
                for (int i = 0; i < n; i++) {
                    assertEquals(2, messages[i].length);
                    assertEquals(messages[i][0][0] * 2, messages[i][1][0]);
                    seen.add((int) messages[i][0][0]);
                }
                assertEquals(null, messages[3], "the slot past max is not written");
            }
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), seen);
        }
    }

    @Test
    void aBatchLargerThanThePackingBufferMixesPackedAndWholeMessagesInOrder() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.ROUTER, ZMQ.DEALER)) {
            SplittableRandom random = new SplittableRandom(7);
            byte[][][] sent = new byte[300][][];
            for (int i = 0; i < sent.length; i++) {
                // 300 x 3 KB overflows the 64 KiB packing buffer; every 7th message has a frame of 9 KB.
                sent[i] = frames(random, 3, 1000);
                sent[i][1] = new byte[i % 7 == 0 ? 9000 : 1000];
                random.nextBytes(sent[i][1]);
                assertTrue(Sockets.send(pair.connected, null, sent[i]));
            }
            byte[][] ids = new byte[300][];
            byte[][][] bodies = new byte[300][][];
            int got = 0;
            long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (got < sent.length && System.nanoTime() - deadlineNs < 0) {
                int n = Sockets.receiveBatch(pair.bound, ids, bodies, 300);
                for (int i = 0; i < n; i++) {
                    assertFramesEqual(sent[got + i], bodies[i], "message " + (got + i));
                    assertEquals(ids[0].length, ids[i].length);
                }
                got += n;
            }
            assertEquals(sent.length, got);
        }
    }

    @Test
    void aRoutersBatchSplitsTheRoutingIdOffAndRepliesReachTheirPeer() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.ROUTER, ZMQ.DEALER)) {
            pair.bound.setRouterMandatory(true);
            Sockets.send(pair.connected, null, new byte[][] {{'a'}, {'b'}});
            Sockets.send(pair.connected, null, new byte[][] {{'c'}});
            byte[][] ids = new byte[8][];
            byte[][][] bodies = new byte[8][][];
            List<byte[]> idsSeen = new ArrayList<>();
            List<byte[][]> bodiesSeen = new ArrayList<>();
            long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (bodiesSeen.size() < 2 && System.nanoTime() - deadlineNs < 0) {
                int n = Sockets.receiveBatch(pair.bound, ids, bodies, 8);
                for (int i = 0; i < n; i++) {
                    idsSeen.add(ids[i]);
                    bodiesSeen.add(bodies[i]);
                }
            }
            assertEquals(2, bodiesSeen.size());
            assertFramesEqual(new byte[][] {{'a'}, {'b'}}, bodiesSeen.get(0), "first body");
            assertFramesEqual(new byte[][] {{'c'}}, bodiesSeen.get(1), "second body");
            assertArrayEquals(idsSeen.get(0), idsSeen.get(1), "one peer, one routing id");
            assertTrue(Sockets.send(pair.bound, idsSeen.get(0), new byte[][] {{'r'}}));
            assertFramesEqual(new byte[][] {{'r'}}, Sockets.receiveWaiting(pair.connected), "the reply");
        }
    }

    @Test
    void anUnknownRoutingIdSendsNothingAndLeavesNoFrameBehind() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.ROUTER, ZMQ.DEALER)) {
            pair.bound.setRouterMandatory(true);
            Sockets.send(pair.connected, null, new byte[][] {{'h'}});
            byte[][] hello = Sockets.receiveWaiting(pair.bound);
            assertFalse(Sockets.send(pair.bound, new byte[] {'x', 'y'}, new byte[][] {{'l', 'o', 's', 't'}}));
            assertTrue(Sockets.send(pair.bound, hello[0], new byte[][] {{'o', 'k'}}));
            assertFramesEqual(new byte[][] {{'o', 'k'}}, Sockets.receiveWaiting(pair.connected), "[ok] alone");
        }
    }

    @Test
    void aFullQueueRefusesWholeMessagesAndNeverHalfOfOne() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.ROUTER, ZMQ.DEALER, 1)) {
            pair.bound.setRouterMandatory(true);
            Sockets.send(pair.connected, null, new byte[][] {{'h'}});
            byte[] peer = Sockets.receiveWaiting(pair.bound)[0];
            int sent = 0;
            while (sent < 1_000_000
                && Sockets.send(pair.bound, peer, new byte[][] {int4(sent), {1, 2, 3}, int4(-sent)})) {
                sent++;
            }
            assertTrue(sent > 0 && sent < 1_000_000, "the queue filled after " + sent + " messages");
            // The peer's I/O thread may free room meanwhile: what the raw call takes is a message like the others.
            int rc;
            while ((rc = Native.send(pair.bound, peer, new byte[][] {int4(sent), {1, 2, 3}, int4(-sent)},
                Native.DONTWAIT)) == 0) {
                sent++;
            }
            assertEquals(Native.EAGAIN, rc, "DONTWAIT on a full queue is EAGAIN");
            for (int i = 0; i < sent; i++) {
                byte[][] got = Sockets.receiveWaiting(pair.connected);
                assertFramesEqual(new byte[][] {int4(i), {1, 2, 3}, int4(-i)}, got, "message " + i);
            }
            // The queue has room again once the peer's credit has travelled back to the router.
            long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (!Sockets.send(pair.bound, peer, new byte[][] {{'e', 'n', 'd'}})) {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the queue never took a message again");
                Thread.onSpinWait();
            }
            assertFramesEqual(new byte[][] {{'e', 'n', 'd'}}, Sockets.receiveWaiting(pair.connected),
                "the next message has no frame of the refused ones");
            assertEquals(0, Sockets.receive(pair.connected).length);
        }
    }

    @Test
    void aClosedSocketIsATransportExceptionNotACrash() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            ZMQ.Socket extra = pair.context.socket(ZMQ.DEALER);
            extra.close();
            TransportException receive = assertThrows(TransportException.class, () -> Sockets.receive(extra));
            assertEquals(Native.ENOTSOCK, receive.errorCode());
            assertTrue(receive.getMessage().contains("Socket operation on non-socket"), receive.getMessage());
            TransportException send = assertThrows(TransportException.class,
                () -> Sockets.send(extra, null, new byte[][] {{1}}));
            assertEquals(Native.ENOTSOCK, send.errorCode());
            assertThrows(TransportException.class, () -> Sockets.receiveBatch(extra, new byte[2][], new byte[2][][], 2));
            assertEquals(-Native.ENOTSOCK, Native.receive(null, null, new byte[1][][], 1, 0));
            assertEquals(Native.ENOTSOCK, Native.send(null, null, new byte[][] {{1}}, 0));
        }
    }

    /**
     * 100,000 random messages (1 to 64 frames, 0 to 300 bytes each, now and then one up to 70 KB) from a DEALER
     * to a ROUTER, received in batches with the routing id split off, echoed back and received again: every
     * frame compared byte for byte both ways.
     */
    @Test
    void aHundredThousandRandomMessagesArriveByteForByte() {
        SplittableRandom random = new SplittableRandom(20261201);
        int total = 100_000;
        int window = 64;
        byte[][] ids = new byte[window][];
        byte[][][] bodies = new byte[window][][];
        byte[][][] echoes = new byte[window][][];
        try (SocketPair pair = new SocketPair(dir, ZMQ.ROUTER, ZMQ.DEALER)) {
            pair.bound.setRouterMandatory(true);
            int done = 0;
            long frames = 0;
            while (done < total) {
                int batch = Math.min(window, total - done);
                byte[][][] sent = new byte[batch][][];
                for (int i = 0; i < batch; i++) {
                    int count = random.nextInt(50) == 0 ? 1 + random.nextInt(64) : 1 + random.nextInt(6);
                    sent[i] = frames(random, count, random.nextInt(200) == 0 ? 70_000 : 300);
                    frames += count;
                    assertTrue(Sockets.send(pair.connected, null, sent[i]));
                }
                int got = 0;
                while (got < batch) {
                    int n = Sockets.receiveBatch(pair.bound, ids, bodies, batch - got);
                    for (int i = 0; i < n; i++) {
                        assertFramesEqual(sent[got + i], bodies[i], "message " + (done + got + i) + " at the router");
                        assertTrue(Sockets.send(pair.bound, ids[i], bodies[i]));
                    }
                    got += n;
                }
                int back = 0;
                while (back < batch) {
                    int n = Sockets.receiveBatch(pair.connected, echoes, batch - back);
                    for (int i = 0; i < n; i++) {
                        assertFramesEqual(sent[back + i], echoes[i], "message " + (done + back + i) + " echoed");
                    }
                    back += n;
                }
                done += batch;
            }
            assertTrue(frames > 300_000, "frames: " + frames);
        }
    }

    private static byte[][] frames(SplittableRandom random, int count, int maxSize) {
        byte[][] frames = new byte[count][];
        for (int i = 0; i < count; i++) {
            frames[i] = new byte[random.nextInt(maxSize + 1)];
            random.nextBytes(frames[i]);
        }
        return frames;
    }

    private static byte[] int4(int value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    static void assertFramesEqual(byte[][] expected, byte[][] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": frame count");
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], what + ": frame " + i);
        }
    }
}
