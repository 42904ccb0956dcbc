package io.powerhose.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on 127.0.0.1 that records every byte it passes, both ways: a test puts it between a peer and the
 * broker to see what an eavesdropper on the wire would see. It listens on a port the system chooses as it binds.
 * Its threads ({@code tcp-relay-*}) end when it is closed.
 */
public final class TcpRelay implements AutoCloseable {
    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /**
     * Starts relaying to a tcp endpoint.
     *
     * @param target {@code tcp://HOST:PORT}
     */
    public TcpRelay(String target) {
        String address = target.substring("tcp://".length());
        int colon = address.lastIndexOf(':');
        this.targetHost = address.substring(0, colon);
        this.targetPort = Integer.parseInt(address.substring(colon + 1));
        try {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        start("tcp-relay-accept", this::accept);
    }

    /** @return the relay's endpoint, {@code tcp://127.0.0.1:PORT} */
    public String endpoint() {
        return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    /** @return every byte relayed so far, both ways */
    public byte[] recorded() {
        synchronized (recorded) {
            return recorded.toByteArray();
        }
    }

    /**
     * @param needle bytes to look for
     * @return whether they were relayed (in one piece, either way)
     */
    public boolean sawBytes(byte[] needle) {
        return indexOf(recorded(), needle) >= 0;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket in = server.accept();
                Socket out = new Socket(targetHost, targetPort);
                sockets.add(in);
                sockets.add(out);
                start("tcp-relay-up", () -> pump(in, out));
                start("tcp-relay-down", () -> pump(out, in));
            } catch (IOException e) {
                if (!closed) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                synchronized (recorded) {
                    recorded.write(buffer, 0, n);
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // the connection ended
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    /**
     * @param haystack bytes
     * @param needle bytes to find
     * @return where the needle starts in the haystack, or -1
     */
    public static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        try {
            for (Thread thread : threads) {
                thread.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
