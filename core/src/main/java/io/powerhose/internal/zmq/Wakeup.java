package io.powerhose.internal.zmq;

import org.zeromq.ZMQ;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wakes an owner thread that sleeps in {@code zmq_poll}: any thread calls {@link #wake()}, the owner polls
 * {@link #register(ZMQ.Poller)}'s item and calls {@link #clear()}. Uses a pipe, not a ZeroMQ socket, because
 * ZeroMQ sockets must not be shared between threads; wake-ups are coalesced, so a busy owner costs
 * producers one compare-and-set and no system call.
 */
public final class Wakeup implements AutoCloseable {
    private final Pipe pipe;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final ByteBuffer drain = ByteBuffer.allocateDirect(64);

    /** Opens the pipe. */
    public Wakeup() {
        try {
            pipe = Pipe.open();
            pipe.source().configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the wake-up pipe", e);
        }
    }

    /**
     * Registers the pipe's read side with the owner's poller.
     *
     * @param poller the owner's poller
     * @return the poll item index
     */
    public int register(ZMQ.Poller poller) {
        return poller.register(pipe.source(), ZMQ.Poller.POLLIN);
    }

    /** Wakes the owner; cheap when a wake-up is already pending. Any thread. */
    public void wake() {
        if (pending.compareAndSet(false, true)) {
            try {
                pipe.sink().write(ByteBuffer.allocate(1));
            } catch (IOException e) {
                pending.set(false);
            }
        }
    }

    /**
     * Empties the pipe, then re-arms {@link #wake()}. Owner thread only, before it drains its queue. The order
     * matters: re-arming first would let a producer's byte be drained while the flag stays set, and every later
     * wake-up would be skipped until the owner's poll timed out.
     */
    public void clear() {
        try {
            while (true) {
                drain.clear();
                if (pipe.source().read(drain) <= 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pending.set(false);
    }

    @Override
    public void close() {
        try {
            pipe.sink().close();
            pipe.source().close();
        } catch (IOException e) {
            // closing a pipe we own: nothing useful to do
        }
    }
}
