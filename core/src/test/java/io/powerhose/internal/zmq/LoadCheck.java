package io.powerhose.internal.zmq;

import io.powerhose.ConfigurationException;
import org.zeromq.ZMQ;

/**
 * The main of {@link NativeLibraryTest}'s child JVMs: loads the native libraries, sends one message through
 * our layer, and prints where the library came from, or the {@link ConfigurationException}'s message (exit 3).
 */
public final class LoadCheck {
    private LoadCheck() {
    }

    /**
     * Runs the check.
     *
     * @param args none
     */
    public static void main(String[] args) {
        try {
            NativeLibrary.load();
        } catch (ConfigurationException e) {
            System.out.println("ConfigurationException: " + e.getMessage());
            System.exit(3);
        }
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket a = Sockets.create(context, ZMQ.PAIR, 0);
        ZMQ.Socket b = Sockets.create(context, ZMQ.PAIR, 0);
        a.bind("inproc://load-check");
        b.connect("inproc://load-check");
        Sockets.send(b, null, new byte[][] {{'o', 'k'}});
        String got = new String(Sockets.receiveWaiting(a)[0], java.nio.charset.StandardCharsets.US_ASCII);
        a.close();
        b.close();
        context.term();
        System.out.println("loaded from " + NativeLibrary.shimSource() + "; a message said " + got);
    }
}
