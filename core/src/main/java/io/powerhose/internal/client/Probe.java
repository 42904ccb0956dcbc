package io.powerhose.internal.client;

import io.powerhose.HandshakeFailedException;
import io.powerhose.internal.protocol.FrontendCodec;
import io.powerhose.internal.zmq.Monitor;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.internal.zmq.Security;
import io.powerhose.internal.zmq.Sockets;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One-shot questions to a broker's frontend (is something listening, PING, STATUS), each on a socket of its
 * own that is closed before returning. Safe from any thread; used by the broker's duplicate check and the
 * commands' health checks.
 */
public final class Probe {
    private Probe() {
    }

    /**
     * Tells, without ZeroMQ, whether anything accepts connections on an ipc or tcp endpoint. A stale ipc file
     * left by a killed broker answers false.
     *
     * @param endpoint the endpoint
     * @return true when a connection was accepted (other transports: always true)
     */
    public static boolean isListening(String endpoint) {
        if (endpoint.startsWith("ipc://")) {
            Path path = Path.of(endpoint.substring("ipc://".length()));
            if (!Files.exists(path)) {
                return false;
            }
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(path));
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        if (endpoint.startsWith("tcp://")) {
            String address = endpoint.substring("tcp://".length());
            int colon = address.lastIndexOf(':');
            if (colon < 0) {
                return true;
            }
            String host = address.substring(0, colon).replace("[", "").replace("]", "");
            if (host.equals("*") || host.equals("0.0.0.0")) {
                host = "127.0.0.1";
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1))), 500);
                return true;
            } catch (IOException | NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    /**
     * Sends PING to a broker and waits for its PONG.
     *
     * @param endpoint the frontend endpoint
     * @param timeout how long to wait
     * @return the broker's pid, or -1 when none answered in time
     */
    public static long ping(String endpoint, Duration timeout) {
        return ping(endpoint, timeout, Security.NONE);
    }

    /**
     * Sends PING to a broker over a secured connection and waits for its PONG.
     *
     * @param endpoint the frontend endpoint
     * @param timeout how long to wait
     * @param security how to secure the connection
     * @return the broker's pid, or -1 when none answered in time
     * @throws HandshakeFailedException when the security handshake failed (it says what to change)
     */
    public static long ping(String endpoint, Duration timeout, Security security) {
        byte[][] answer = ask(endpoint, FrontendCodec.ping(requestId()), timeout, security);
        if (answer != null && FrontendCodec.decodeFromBroker(answer) instanceof FrontendCodec.Pong pong) {
            return pong.brokerPid();
        }
        return -1;
    }

    /**
     * Asks a broker for its STATUS text.
     *
     * @param endpoint the frontend endpoint
     * @param timeout how long to wait
     * @return the status lines, or null when none answered in time
     */
    public static String status(String endpoint, Duration timeout) {
        return status(endpoint, timeout, Security.NONE);
    }

    /**
     * Asks a broker for its STATUS text over a secured connection.
     *
     * @param endpoint the frontend endpoint
     * @param timeout how long to wait
     * @param security how to secure the connection
     * @return the status lines, or null when none answered in time
     * @throws HandshakeFailedException when the security handshake failed (it says what to change)
     */
    public static String status(String endpoint, Duration timeout, Security security) {
        byte[][] answer = ask(endpoint, FrontendCodec.status(requestId()), timeout, security);
        if (answer != null && FrontendCodec.decodeFromBroker(answer) instanceof FrontendCodec.StatusReply reply) {
            return reply.text();
        }
        return null;
    }

    private static byte[] requestId() {
        return ("probe-" + System.nanoTime()).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] ask(String endpoint, byte[][] question, Duration timeout, Security security) {
        NativeLibrary.load();
        ZMQ.Context context = ZMQ.context(1);
        try {
            ZMQ.Socket socket = security.apply(Sockets.create(context, ZMQ.DEALER, 0));
            Monitor monitor = new Monitor(context, socket, endpoint, security);
            try {
                Sockets.connect(socket, endpoint);
                Sockets.send(socket, null, question);
                ZMQ.Poller poller = new ZMQ.Poller(2);
                poller.register(socket, ZMQ.Poller.POLLIN);
                int monitorItem = monitor.register(poller);
                long deadlineNs = System.nanoTime() + timeout.toNanos();
                while (true) {
                    long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000;
                    if (leftMs <= 0) {
                        return null;
                    }
                    Sockets.poll(poller, leftMs);
                    byte[][] frames = Sockets.receive(socket);
                    if (frames.length > 0) {
                        return frames;
                    }
                    if (poller.pollin(monitorItem)) {
                        for (int event = monitor.poll(); event != 0; event = monitor.poll()) {
                            if (monitor.handshakeFailure() != null) {
                                throw new HandshakeFailedException(endpoint, monitor.handshakeFailure());
                            }
                        }
                    }
                }
            } finally {
                monitor.close();
                Sockets.close(socket);
            }
        } finally {
            context.term();
        }
    }
}
