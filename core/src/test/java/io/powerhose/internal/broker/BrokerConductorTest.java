package io.powerhose.internal.broker;

import io.powerhose.BrokerOptions;
import io.powerhose.PowerhoseException;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.zmq.NativeLibrary;
import io.powerhose.testing.TestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker loop on real sockets, with a clock that can be made to fail: a failure in any pass (timers
 * included) is survived; an {@link Error} ends the loop, and then the conductor reports it instead of serving
 * stale status.
 */
@Timeout(60)
class BrokerConductorTest {
    @TempDir
    Path dir;

    /** When set, the next read of the clock by the timers ({@link Dispatcher#onTimer()}) throws it (once). */
    private final AtomicReference<Throwable> clockFault = new AtomicReference<>();
    private final LongSupplier faultyClock = () -> {
        Throwable fault = clockFault.get() != null && calledFromTheTimers() ? clockFault.getAndSet(null) : null;
        if (fault instanceof RuntimeException e) {
            throw e;
        }
        if (fault instanceof Error e) {
            throw e;
        }
        return System.nanoTime();
    };
    private BrokerConductor conductor;

    private static boolean calledFromTheTimers() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(frame ->
            frame.getClassName().equals(Dispatcher.class.getName()) && frame.getMethodName().equals("onTimer")));
    }

    @BeforeEach
    void start() throws Exception {
        NativeLibrary.load();
        BrokerOptions options = BrokerOptions.builder().frontend("ipc://" + dir.resolve("front.ipc"))
            .backend("ipc://" + dir.resolve("back.ipc")).heartbeat("ipc://" + dir.resolve("beat.ipc"))
            .heartbeatInterval(Duration.ofMillis(20)).drainTimeout(Duration.ZERO).build();
        DispatcherSettings settings = new DispatcherSettings(1, 20_000_000, 60_000_000, 100_000_000, 100, 1_000,
            1_000);
        conductor = new BrokerConductor(options, settings, faultyClock);
        conductor.start();
        conductor.started().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        conductor.close(10_000);
        assertTrue(conductor.ended().handle((ignored, error) -> true).get(1, TimeUnit.SECONDS),
            "the broker thread stopped");
    }

    private String frontend() {
        return "ipc://" + dir.resolve("front.ipc");
    }

    private String uptimeMs() {
        return TestCluster.value(conductor.lastStatus(), "uptime_ms");
    }

    @Test
    void failureInTheTimersIsCountedAndTheLoopCarriesOn() {
        TestCluster.await(() -> !conductor.lastStatus().isEmpty(), Duration.ofSeconds(5), () -> "no first beat");
        String before = uptimeMs();
        clockFault.set(new IllegalStateException("clock fault"));
        TestCluster.await(() -> clockFault.get() == null, Duration.ofSeconds(5), () -> "the clock was not read");
        TestCluster.await(() -> !uptimeMs().equals(before) && internalErrors() >= 1, Duration.ofSeconds(5),
            () -> "the beat (a timer) went on after the fault:\n" + conductor.lastStatus());
        assertEquals(1, Probe.ping(frontend(), Duration.ofSeconds(2)), "the broker still answers");
        assertNull(conductor.failure());
    }

    private long internalErrors() {
        return Long.parseLong(TestCluster.value(conductor.lastStatus(), "internal_errors"));
    }

    @Test
    void errorEndsTheLoopAndTheConductorReportsItInsteadOfStaleStatus() throws Exception {
        TestCluster.await(() -> !conductor.lastStatus().isEmpty(), Duration.ofSeconds(5), () -> "no first beat");
        OutOfMemoryError error = new OutOfMemoryError("simulated");
        clockFault.set(error);
        assertTrue(conductor.ended().handle((ignored, failure) -> failure != null).get(10, TimeUnit.SECONDS),
            "an Error ends the loop");
        assertSame(error, conductor.failure());
        PowerhoseException e = assertThrows(PowerhoseException.class, conductor::lastStatus);
        assertInstanceOf(OutOfMemoryError.class, e.getCause());
        assertThrows(PowerhoseException.class, conductor::activeWorkerPids);
        assertTrue(Probe.ping(frontend(), Duration.ofMillis(300)) < 0, "its sockets are closed");
    }
}
