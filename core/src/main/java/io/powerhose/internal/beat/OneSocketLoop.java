package io.powerhose.internal.beat;

import io.powerhose.internal.runner.Loop;
import io.powerhose.internal.zmq.Sockets;
import io.powerhose.internal.zmq.Wakeup;
import org.zeromq.ZMQ;

/**
 * A loop that owns one socket in a context of its own, plus a {@link Wakeup}: what {@code Heartbeat} and
 * {@code Stethoscope} share. The subclass makes the socket in {@link #onStart()}; this class stops on
 * {@link #requestStop()} (a flag and a wake-up) and closes the socket, the context and the wake-up on the loop's
 * own thread.
 */
abstract class OneSocketLoop implements Loop {
    final Wakeup wakeup = new Wakeup();
    volatile boolean running = true;
    ZMQ.Context context;
    ZMQ.Socket socket;

    @Override
    public boolean isDone() {
        return !running;
    }

    @Override
    public void onClose() {
        try {
            Sockets.close(socket);
            if (context != null) {
                context.term();
            }
        } finally {
            wakeup.close();
        }
    }

    @Override
    public void requestStop() {
        running = false;
        wakeup.wake();
    }
}
