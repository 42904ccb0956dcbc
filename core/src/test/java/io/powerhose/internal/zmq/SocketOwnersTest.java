package io.powerhose.internal.zmq;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.zeromq.ZMQ;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner-thread check that every test runs with: a socket used by a thread other than the one that created it
 * fails the call and is recorded. The rest of the suite relies on it to prove that every socket has one owner for
 * its whole life, so it must be shown to fail.
 */
@Timeout(30)
class SocketOwnersTest {
    @Test
    void theChecksAreOnInTheTests() {
        assertTrue(SocketOwners.enabled(), "the tests run with -ea, so every socket access is checked");
    }

    @Test
    void sendingOnAnotherThreadsSocketFailsAndIsRecorded() throws Exception {
        NativeLibrary.load();
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket socket = Sockets.create(context, ZMQ.PAIR, 0);
        try {
            socket.bind("inproc://owners-test");
            int before = SocketOwners.violations().size();
            CompletableFuture<Void> other = new CompletableFuture<>();
            Thread intruder = new Thread(() -> {
                try {
                    Sockets.trySend(socket, new byte[][] {{1}});
                    other.complete(null);
                } catch (Throwable e) {
                    other.completeExceptionally(e);
                }
            }, "intruder");
            intruder.start();
            ExecutionException e = assertThrows(ExecutionException.class, () -> other.get(10, TimeUnit.SECONDS));
            assertInstanceOf(AssertionError.class, e.getCause());
            assertEquals("send on a socket of thread '" + Thread.currentThread().getName()
                + "' from thread 'intruder'", e.getCause().getMessage());
            assertEquals(before + 1, SocketOwners.violations().size());
            Sockets.trySend(socket, new byte[][] {{1}}); // its owner may: no peer yet, so nothing is sent, no error
        } finally {
            Sockets.close(socket);
            context.term();
        }
    }

    @Test
    void pollingAnotherThreadsSocketFails() throws Exception {
        NativeLibrary.load();
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket socket = Sockets.create(context, ZMQ.PAIR, 0);
        try {
            CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
                ZMQ.Poller poller = new ZMQ.Poller(1);
                poller.register(socket, ZMQ.Poller.POLLIN);
                Sockets.poll(poller, 0);
            });
            ExecutionException e = assertThrows(ExecutionException.class, () -> other.get(10, TimeUnit.SECONDS));
            assertInstanceOf(AssertionError.class, e.getCause());
            assertTrue(e.getCause().getMessage().startsWith("poll on a socket of thread"), e.getCause().getMessage());
        } finally {
            Sockets.close(socket);
            context.term();
        }
    }
}
