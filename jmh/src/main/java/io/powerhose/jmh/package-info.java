/**
 * JMH benchmarks of Powerhose and the {@code ./bench.sh} driver. {@link io.powerhose.jmh.OffloadBenchmark}
 * compares CPU-bound jobs run on threads in-process with the same jobs sent through a real broker to worker
 * processes; {@link io.powerhose.jmh.RoundTripBenchmark} and {@link io.powerhose.jmh.PingBenchmark} split the
 * round trip into its client-broker and broker-worker legs; {@link io.powerhose.jmh.Bench} runs them through
 * the JMH Java API next to the libzmq floor ({@code native/build/zmq-floor}) and prints the verdict. Benchmark
 * states are built on JMH's threads in {@code @Setup}; the clusters they start are stopped in
 * {@code @TearDown}.
 */
package io.powerhose.jmh;
