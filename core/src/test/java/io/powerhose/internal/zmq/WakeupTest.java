package io.powerhose.internal.zmq;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.zeromq.ZMQ;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WakeupTest {
    @Test
    @Timeout(60)
    void everyOfferIsSeenWithoutWaitingForThePollTimeout() throws Exception {
        NativeLibrary.load();
        ConcurrentLinkedQueue<Long> queue = new ConcurrentLinkedQueue<>();
        AtomicLong consumed = new AtomicLong();
        AtomicLong worstWaitNs = new AtomicLong();
        int producers = 3;
        int perProducer = 50_000;
        try (Wakeup wakeup = new Wakeup()) {
            Thread owner = new Thread(() -> {
                ZMQ.Poller poller = new ZMQ.Poller(1);
                int item = wakeup.register(poller);
                while (consumed.get() < (long) producers * perProducer) {
                    poller.poll(3_000);
                    if (poller.pollin(item)) {
                        wakeup.clear();
                    }
                    Long sentNs;
                    while ((sentNs = queue.poll()) != null) {
                        worstWaitNs.accumulateAndGet(System.nanoTime() - sentNs, Math::max);
                        consumed.incrementAndGet();
                    }
                }
            }, "owner");
            owner.start();
            Thread[] threads = new Thread[producers];
            for (int p = 0; p < producers; p++) {
                threads[p] = new Thread(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        queue.offer(System.nanoTime());
                        wakeup.wake();
                        if (i % 64 == 0) {
                            Thread.yield();
                        }
                    }
                });
                threads[p].start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            owner.join(20_000);
        }
        assertEquals((long) producers * perProducer, consumed.get());
        // A lost wake-up leaves an offer waiting for the 3 s poll timeout.
        assertTrue(worstWaitNs.get() < 2_000_000_000L, "worst wait " + worstWaitNs.get() / 1_000_000 + " ms");
    }
}
