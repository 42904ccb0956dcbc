package io.powerhose.jmh;

import io.powerhose.internal.process.JavaCommand;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The client → broker → client leg alone: {@code client.ping()} against a broker with no worker. Next to
 * {@link RoundTripBenchmark#echo}, the difference is what the worker leg costs.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = JavaCommand.ENABLE_NATIVE_ACCESS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@State(Scope.Benchmark)
public class PingBenchmark {
    /** ipc (a Unix socket in a temp folder) or tcp (127.0.0.1). */
    @Param({"ipc", "tcp"})
    public String transport;

    private Trial trial;

    /** Starts a broker and connects the client. */
    @Setup(Level.Trial)
    public void start() {
        trial = Trial.brokerOnly(transport);
        for (int i = 0; i < 1000; i++) {
            trial.client.ping();
        }
    }

    /** Stops the client and the broker. */
    @TearDown(Level.Trial)
    public void stop() {
        trial.close();
    }

    /**
     * One ping round trip.
     *
     * @return the broker's pid
     */
    @Benchmark
    public OptionalLong ping() {
        return trial.client.ping();
    }
}
