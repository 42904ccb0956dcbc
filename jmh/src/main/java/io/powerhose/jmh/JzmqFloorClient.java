package io.powerhose.jmh;

import io.powerhose.internal.zmq.NativeLibrary;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.zeromq.ZMQ;

/**
 * The Java client of the jzmq floor ({@link Floor#runJzmq}): one DEALER on jzmq alone, frame by frame
 * ({@code send} with SNDMORE, {@code recv} and {@code hasReceiveMore}), keeping {@code inFlight} requests
 * {@code [""][payload]} in flight to {@code zmq-floor --serve}'s proxy. Warms up with count / 10 requests, prints
 * {@code warm}, waits for a line on stdin, runs {@code count} requests and prints
 * {@code result jobs_per_s=X cpu_us_client=Y} (all this JVM's threads, from /proc/self/task). Runs on main.
 */
public final class JzmqFloorClient {
    private JzmqFloorClient() {
    }

    /**
     * Runs the client.
     *
     * @param args endpoint, in flight, count, payload bytes
     * @throws IOException when stdin or /proc cannot be read
     */
    public static void main(String[] args) throws IOException {
        NativeLibrary.load();
        String endpoint = args[0];
        int inFlight = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        byte[] payload = new byte[Integer.parseInt(args[3])];
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket dealer = context.socket(ZMQ.DEALER);
        dealer.setLinger(0);
        dealer.setSndHWM(0);
        dealer.setRcvHWM(0);
        dealer.connect(endpoint);
        run(dealer, payload, Math.max(1000, count / 10), inFlight);
        System.out.println("warm");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        in.readLine();
        long cpu0 = processCpuNs();
        long t0 = System.nanoTime();
        run(dealer, payload, count, inFlight);
        long elapsedNs = System.nanoTime() - t0;
        long cpu1 = processCpuNs();
        System.out.printf(Locale.ROOT, "result jobs_per_s=%.0f cpu_us_client=%.2f%n", count * 1e9 / elapsedNs,
            (cpu1 - cpu0) / 1e3 / count);
        System.out.flush();
        dealer.close();
        context.term();
        in.readLine();
    }

    private static void run(ZMQ.Socket dealer, byte[] payload, int n, int inFlight) {
        byte[] empty = new byte[0];
        int sent = 0;
        int received = 0;
        while (received < n) {
            while (sent < n && sent - received < inFlight) {
                dealer.send(empty, ZMQ.SNDMORE);
                dealer.send(payload, 0);
                sent++;
            }
            do {
                dealer.recv(0);
            } while (dealer.hasReceiveMore());
            received++;
        }
    }

    /** CPU time of every thread of this process, in ns. */
    static long processCpuNs() throws IOException {
        return CpuMeter.processNs(ProcessHandle.current().pid());
    }
}
