package io.powerhose.internal.zmq;

import io.powerhose.ConfigurationException;
import io.powerhose.TransportException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every native entry point of {@link Native} with what it must refuse (null arrays, short buffers, closed
 * sockets: codes, never a crash) and with what it must do on real sockets: options set and read back and
 * enforced (MAXMSGSIZE, CURVE), ZMQ_EVENTS/ZMQ_FD, CURVE keys and Z85 round trips.
 */
@Timeout(60)
class NativeTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        NativeLibrary.load();
    }

    @Test
    void nullArraysAndShortBuffersAreCodesNotCrashes() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            ZMQ.Socket s = pair.bound;
            assertEquals(-Native.EINVAL, Native.receive(s, null, null, 1, Native.DONTWAIT));
            assertEquals(-Native.EINVAL, Native.receive(s, null, new byte[0][][], 1, Native.DONTWAIT));
            assertEquals(-Native.EINVAL, Native.receive(s, null, new byte[1][][], 0, Native.DONTWAIT));
            assertEquals(-Native.EINVAL, Native.receive(s, new byte[0][], new byte[4][][], 4, Native.DONTWAIT));
            assertEquals(Native.EINVAL, Native.send(s, null, null, 0));
            assertEquals(Native.EINVAL, Native.send(s, new byte[] {1}, new byte[][] {{2}, null}, 0));
            assertEquals(Native.EINVAL, Native.setBytesOption(s, SocketOption.ZAP_DOMAIN.number(), null));
            assertEquals(Native.EINVAL, Native.getIntOption(s, SocketOption.LINGER.number(), null));
            assertEquals(Native.EINVAL, Native.getIntOption(s, SocketOption.LINGER.number(), new int[0]));
            assertEquals(Native.EINVAL, Native.getLongOption(s, SocketOption.MAXMSGSIZE.number(), null));
            assertEquals(-Native.EINVAL, Native.getBytesOption(s, SocketOption.ZAP_DOMAIN.number(), null));
            assertEquals(Native.EINVAL, Native.init(null), "init refuses null and keeps its field id");
            assertEquals(Native.EINVAL, Native.curveKeypair(null, new byte[40]));
            assertEquals(Native.EINVAL, Native.curveKeypair(new byte[39], new byte[40]));
            assertEquals(Native.EINVAL, Native.curvePublic(null, new byte[40]));
            assertEquals(Native.EINVAL, Native.curvePublic(new byte[41], new byte[40]));
            assertEquals(Native.EINVAL, Native.z85Encode(null, new byte[5]));
            assertEquals(Native.EINVAL, Native.z85Encode(new byte[4], new byte[4]));
            assertEquals(Native.EINVAL, Native.z85Encode(new byte[3], new byte[5]));
            assertEquals(Native.EINVAL, Native.z85Decode(new byte[5], null));
            assertEquals(Native.EINVAL, Native.z85Decode(ascii("HelloWorld"), new byte[7]));
            assertEquals(Native.EINVAL, Native.z85Decode(ascii("HelloWorl"), new byte[8]));
            assertEquals(Native.EINVAL, Native.z85Decode(new byte[] {'H', 'e', 0, 'l', 'o'}, new byte[4]));
            assertEquals(-Native.EINVAL, Native.receivePacked(s, null, new int[8], new byte[1][][], 1, 0));
            assertEquals(-Native.EINVAL, Native.receivePacked(s, new byte[8], null, new byte[1][][], 1, 0));
            assertEquals(-Native.EINVAL, Native.receivePacked(s, new byte[8], new int[8], null, 1, 0));
            assertEquals(-Native.EINVAL, Native.receivePacked(s, new byte[8], new int[0], new byte[1][][], 1, 0));
            assertEquals(-Native.EINVAL, Native.receivePacked(s, new byte[8], new int[8], new byte[1][][], 0, 0));
            assertEquals(Native.EINVAL, Native.sendPacked(s, null, new int[] {1}, 1, 0));
            assertEquals(Native.EINVAL, Native.sendPacked(s, new byte[4], null, 1, 0));
            assertEquals(Native.EINVAL, Native.sendPacked(s, new byte[4], new int[] {1}, 0, 0));
            assertEquals(Native.EINVAL, Native.sendPacked(s, new byte[4], new int[] {1}, 2, 0), "count > lengths");
            assertEquals(Native.EINVAL, Native.sendPacked(s, new byte[4], new int[] {3, 2}, 2, 0), "past the buffer");
            assertEquals(Native.EINVAL, Native.sendPacked(s, new byte[4], new int[] {-1, 2}, 2, 0), "negative");
            // The socket still works after all that.
            assertTrue(Sockets.send(pair.connected, null, new byte[][] {{42}}));
            assertArrayEquals(new byte[] {42}, Sockets.receiveWaiting(pair.bound)[0]);
        }
    }

    @Test
    void everySocketCallOnAClosedOrNullSocketIsENOTSOCK() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            ZMQ.Socket closed = pair.context.socket(ZMQ.DEALER);
            closed.close();
            for (ZMQ.Socket s : new ZMQ.Socket[] {closed, null}) {
                assertEquals(-Native.ENOTSOCK, Native.receive(s, null, new byte[1][][], 1, 0));
                assertEquals(Native.ENOTSOCK, Native.send(s, null, new byte[][] {{1}}, 0));
                assertEquals(-Native.ENOTSOCK, Native.receivePacked(s, new byte[8], new int[8], new byte[1][][], 1, 0));
                assertEquals(Native.ENOTSOCK, Native.sendPacked(s, new byte[8], new int[] {1}, 1, 0));
                assertEquals(Native.ENOTSOCK, Native.setIntOption(s, SocketOption.LINGER.number(), 0));
                assertEquals(Native.ENOTSOCK, Native.setLongOption(s, SocketOption.MAXMSGSIZE.number(), 1));
                assertEquals(Native.ENOTSOCK, Native.setBytesOption(s, SocketOption.ZAP_DOMAIN.number(), new byte[1]));
                assertEquals(Native.ENOTSOCK, Native.getIntOption(s, SocketOption.LINGER.number(), new int[1]));
                assertEquals(Native.ENOTSOCK, Native.getLongOption(s, SocketOption.MAXMSGSIZE.number(), new long[1]));
                assertEquals(-Native.ENOTSOCK, Native.getBytesOption(s, SocketOption.ZAP_DOMAIN.number(), new byte[9]));
                assertEquals(-Native.ENOTSOCK, Native.events(s));
                assertEquals(-Native.ENOTSOCK, Native.fd(s));
            }
            TransportException e = assertThrows(TransportException.class,
                () -> Native.setOption(closed, SocketOption.HEARTBEAT_IVL, 100));
            assertEquals(Native.ENOTSOCK, e.errorCode());
            assertTrue(e.getMessage().contains("ZMQ_HEARTBEAT_IVL") && e.getMessage().contains("non-socket"),
                e.getMessage());
            assertThrows(TransportException.class, () -> Native.pendingEvents(closed));
            assertThrows(TransportException.class, () -> Native.fileDescriptor(closed));
        }
    }

    @Test
    void optionsJzmqRefusesAreSetAndReadBack() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.ROUTER, ZMQ.DEALER)) {
            ZMQ.Socket s = pair.bound;
            Native.setOption(s, SocketOption.HEARTBEAT_IVL, 1000);
            Native.setOption(s, SocketOption.HEARTBEAT_TTL, 2500);
            Native.setOption(s, SocketOption.HEARTBEAT_TIMEOUT, 3000);
            Native.setOption(s, SocketOption.TCP_KEEPALIVE, 1);
            Native.setOption(s, SocketOption.TCP_KEEPALIVE_CNT, 5);
            Native.setOption(s, SocketOption.TCP_KEEPALIVE_IDLE, 60);
            Native.setOption(s, SocketOption.TCP_KEEPALIVE_INTVL, 10);
            Native.setOption(s, SocketOption.MAXMSGSIZE, 1L << 33);
            Native.setOption(s, SocketOption.ZAP_DOMAIN, "powerhose");
            assertEquals(1000, Native.option(s, SocketOption.HEARTBEAT_IVL));
            assertEquals(2500, Native.option(s, SocketOption.HEARTBEAT_TTL), "kept in deciseconds");
            assertEquals(3000, Native.option(s, SocketOption.HEARTBEAT_TIMEOUT));
            assertEquals(1, Native.option(s, SocketOption.TCP_KEEPALIVE));
            assertEquals(5, Native.option(s, SocketOption.TCP_KEEPALIVE_CNT));
            assertEquals(60, Native.option(s, SocketOption.TCP_KEEPALIVE_IDLE));
            assertEquals(10, Native.option(s, SocketOption.TCP_KEEPALIVE_INTVL));
            assertEquals(1L << 33, Native.option(s, SocketOption.MAXMSGSIZE), "an int64 option");
            assertEquals(s.getMaxMsgSize(), Native.option(s, SocketOption.MAXMSGSIZE), "what jzmq reads too");
            assertEquals(0, Native.option(s, SocketOption.LINGER), "Sockets.create's linger");
            assertEquals("powerhose", new String(Native.bytesOption(s, SocketOption.ZAP_DOMAIN, 255),
                StandardCharsets.US_ASCII).replace("\0", ""));
            assertEquals(0, Native.option(s, SocketOption.MECHANISM), "NULL until a CURVE option is set");

            ConfigurationException bad = assertThrows(ConfigurationException.class,
                () -> Native.setOption(s, SocketOption.HEARTBEAT_IVL, -1));
            assertTrue(bad.getMessage().contains("ZMQ_HEARTBEAT_IVL=-1") && bad.getMessage().contains("Invalid"),
                bad.getMessage());
            assertThrows(ConfigurationException.class, () -> Native.setOption(s, SocketOption.HEARTBEAT_IVL, 1L << 40));
            assertThrows(IllegalArgumentException.class, () -> Native.setOption(s, SocketOption.ZAP_DOMAIN, 1));
            assertThrows(IllegalArgumentException.class,
                () -> Native.setOption(s, SocketOption.LINGER, new byte[] {1}));
        }
    }

    @Test
    void curveKeysAreSetReadBackAndRefusedWhenMalformed() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.ROUTER, ZMQ.DEALER)) {
            Curve.KeyPair keys = Curve.newKeyPair();
            ZMQ.Socket s = pair.bound;
            Native.setOption(s, SocketOption.CURVE_SERVER, 1);
            Native.setOption(s, SocketOption.CURVE_SECRETKEY, keys.secretKey());
            Native.setOption(s, SocketOption.CURVE_PUBLICKEY, Curve.z85Decode(keys.publicKey()));
            assertEquals(1, Native.option(s, SocketOption.CURVE_SERVER));
            assertEquals(2, Native.option(s, SocketOption.MECHANISM), "ZMQ_CURVE");
            byte[] secretZ85 = Native.bytesOption(s, SocketOption.CURVE_SECRETKEY, 41);
            assertEquals(keys.secretKey() + "\0", new String(secretZ85, StandardCharsets.US_ASCII), "Z85 with its NUL");
            assertArrayEquals(Curve.z85Decode(keys.publicKey()), Native.bytesOption(s, SocketOption.CURVE_PUBLICKEY, 32));
            ConfigurationException shortKey = assertThrows(ConfigurationException.class,
                () -> Native.setOption(pair.connected, SocketOption.CURVE_SERVERKEY, new byte[12]));
            assertTrue(shortKey.getMessage().contains("ZMQ_CURVE_SERVERKEY (12 bytes)"), shortKey.getMessage());
            assertThrows(ConfigurationException.class,
                () -> Native.setOption(pair.connected, SocketOption.CURVE_SERVERKEY, "not a key"));
        }
    }

    @Test
    void aCurveClientWithTheServersKeyTalksAndOneWithAnotherKeyDoesNot() {
        Curve.KeyPair server = Curve.newKeyPair();
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket router = Sockets.create(context, ZMQ.ROUTER, 0);
        ZMQ.Socket good = Sockets.create(context, ZMQ.DEALER, 0);
        ZMQ.Socket bad = Sockets.create(context, ZMQ.DEALER, 0);
        try {
            Native.setOption(router, SocketOption.CURVE_SERVER, 1);
            Native.setOption(router, SocketOption.CURVE_SECRETKEY, server.secretKey());
            String endpoint = "ipc://" + dir.resolve("curve.ipc");
            router.bind(endpoint);
            for (ZMQ.Socket client : new ZMQ.Socket[] {good, bad}) {
                Curve.KeyPair own = Curve.newKeyPair();
                Native.setOption(client, SocketOption.CURVE_PUBLICKEY, own.publicKey());
                Native.setOption(client, SocketOption.CURVE_SECRETKEY, own.secretKey());
                Native.setOption(client, SocketOption.CURVE_SERVERKEY,
                    client == good ? server.publicKey() : Curve.newKeyPair().publicKey());
                client.connect(endpoint);
            }
            Sockets.send(bad, null, new byte[][] {ascii("from bad")});
            Sockets.send(good, null, new byte[][] {ascii("from good")});
            byte[][] got = Sockets.receiveWaiting(router);
            assertEquals("from good", new String(got[1], StandardCharsets.US_ASCII));
            // The handshake with the wrong server key fails; nothing else arrives (bounded wait for an absence).
            ZMQ.Poller poller = new ZMQ.Poller(1);
            poller.register(router, ZMQ.Poller.POLLIN);
            assertEquals(0, Sockets.poll(poller, 500), "no message from the client with the wrong server key");
            assertEquals(0, Sockets.receive(router).length);
        } finally {
            router.close();
            good.close();
            bad.close();
            context.term();
        }
    }

    @Test
    void maxMessageSizeSetBeforeBindDropsAPeerThatSendsMore() {
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket router = Sockets.create(context, ZMQ.ROUTER, 0);
        ZMQ.Socket small = Sockets.create(context, ZMQ.DEALER, 0);
        ZMQ.Socket large = Sockets.create(context, ZMQ.DEALER, 0);
        try {
            // libzmq copies a listener's options when it binds: the limit must be set before bind().
            Native.setOption(router, SocketOption.MAXMSGSIZE, 1000);
            String endpoint = "ipc://" + dir.resolve("max.ipc");
            router.bind(endpoint);
            large.connect(endpoint);
            small.connect(endpoint);
            Sockets.send(large, null, new byte[][] {new byte[2000]});
            Sockets.send(small, null, new byte[][] {new byte[1000]});
            byte[][] got = Sockets.receiveWaiting(router);
            assertEquals(1000, got[1].length, "the message within the limit");
            ZMQ.Poller poller = new ZMQ.Poller(1);
            poller.register(router, ZMQ.Poller.POLLIN);
            assertEquals(0, Sockets.poll(poller, 300), "the 2000-byte message never arrives");
        } finally {
            router.close();
            small.close();
            large.close();
            context.term();
        }
    }

    @Test
    void eventsAndFdAreReadInOneCallAndMatchJzmq() {
        try (SocketPair pair = new SocketPair(dir, ZMQ.PAIR, ZMQ.PAIR)) {
            pair.handshake();
            assertEquals(0, Native.pendingEvents(pair.bound) & ZMQ.Poller.POLLIN, "nothing to read yet");
            assertEquals(pair.bound.getFD(), Native.fileDescriptor(pair.bound));
            assertTrue(Native.fileDescriptor(pair.bound) >= 0);
            Sockets.send(pair.connected, null, new byte[][] {{1}});
            long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while ((Native.pendingEvents(pair.bound) & ZMQ.Poller.POLLIN) == 0) {
                assertTrue(System.nanoTime() - deadlineNs < 0, "ZMQ_EVENTS never showed POLLIN");
                Thread.onSpinWait();
            }
            assertEquals(pair.bound.getEvents(), Native.pendingEvents(pair.bound));
            assertNotEquals(0, Native.pendingEvents(pair.bound) & ZMQ.Poller.POLLOUT, "a PAIR can send");
            assertEquals(1, Sockets.receive(pair.bound).length);
        }
    }

    @Test
    void keyPairsAndZ85RoundTrip() {
        Curve.KeyPair keys = Curve.newKeyPair();
        assertEquals(40, keys.publicKey().length());
        assertEquals(40, keys.secretKey().length());
        assertEquals(keys.publicKey(), Curve.publicKeyOf(keys.secretKey()));
        assertNotEquals(keys.publicKey(), Curve.newKeyPair().publicKey());
        assertTrue(!keys.toString().contains(keys.secretKey()), "toString hides the secret key");
        assertEquals("HelloWorld", Curve.z85Encode(new byte[] {(byte) 0x86, 0x4F, (byte) 0xD2, 0x6F, (byte) 0xB5,
            0x59, (byte) 0xF7, 0x5B}), "the Z85 spec's example");
        SplittableRandom random = new SplittableRandom(85);
        for (int size = 0; size <= 4096; size += 4) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            String text = Curve.z85Encode(data);
            assertEquals(size / 4 * 5, text.length());
            assertArrayEquals(data, Curve.z85Decode(text), "size " + size);
        }
        assertThrows(IllegalArgumentException.class, () -> Curve.z85Encode(new byte[3]));
        assertThrows(ConfigurationException.class, () -> Curve.z85Decode("HelloWorl"));
        assertThrows(ConfigurationException.class, () -> Curve.z85Decode("Hello\"orld"));
        assertThrows(ConfigurationException.class, () -> Curve.z85Decode("Hello orld"));
        assertThrows(ConfigurationException.class, () -> Curve.z85Decode("%%%%%"));
        assertThrows(ConfigurationException.class, () -> Curve.publicKeyOf(keys.secretKey().substring(1)));
        char[] broken = keys.secretKey().toCharArray();
        broken[3] = '"';
        assertThrows(ConfigurationException.class, () -> Curve.publicKeyOf(new String(broken)));
        assertThrows(NullPointerException.class, () -> Curve.z85Decode(null));
        assertEquals(0, Curve.z85Decode("").length);
        assertEquals(32, Curve.z85Decode(keys.publicKey()).length);
        assertEquals(keys.publicKey(), Curve.z85Encode(Arrays.copyOf(Curve.z85Decode(keys.publicKey()), 32)));
    }

    @Test
    void errorTextIsLibzmqs() {
        assertEquals("Socket operation on non-socket", Native.describe(Native.ENOTSOCK));
        assertEquals("Context was terminated", Native.describe(Native.ETERM));
        assertEquals("Host unreachable", Native.describe(Native.EHOSTUNREACH));
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
