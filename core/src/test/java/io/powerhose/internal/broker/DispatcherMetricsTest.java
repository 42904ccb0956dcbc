package io.powerhose.internal.broker;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.powerhose.BrokerStatus;
import io.powerhose.Job;
import io.powerhose.JobHandler;
import io.powerhose.JobTimeoutException;
import io.powerhose.NoWorkerException;
import io.powerhose.internal.metrics.BrokerMetrics;
import io.powerhose.internal.metrics.ClientMetrics;
import io.powerhose.internal.metrics.Metrics;
import io.powerhose.internal.metrics.WorkerMetrics;
import io.powerhose.internal.protocol.BackendCodec;
import io.powerhose.internal.protocol.FrontendCodec;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The metrics the dispatcher's state changes record, with a hand-moved clock and no sockets: names, tags, exact
 * counts and times, in Micrometer's in-memory registry.
 */
class DispatcherMetricsTest {
    private static final long MS = 1_000_000L;

    private long nowNs = 1_000 * MS;
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final BrokerMetrics metrics = Metrics.broker(registry);
    private final List<byte[][]> toWorkers = new ArrayList<>();
    private final Dispatcher dispatcher = new Dispatcher(
        new DispatcherSettings(7, 1_000 * MS, 3_000 * MS, 500 * MS, 1, 100, 7_500), () -> nowNs, new Outbox() {
            @Override
            public boolean toWorker(byte[] routingId, byte[][] frames) {
                toWorkers.add(frames);
                return true;
            }

            @Override
            public boolean toClient(byte[] routingId, byte[][] frames) {
                return true;
            }

            @Override
            public void beat() {
            }
        }, metrics);

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void job(String requestId, int size) {
        dispatcher.onClientMessage(bytes("client"), FrontendCodec.request(bytes(requestId), 5_000,
            new byte[size]));
    }

    private void reply(boolean ok) {
        byte[] jobId = toWorkers.get(toWorkers.size() - 1)[2];
        dispatcher.onWorkerMessage(bytes("w1"), BackendCodec.reply(jobId, ok, bytes(ok ? "done" : "Boom: no")));
    }

    private void publish() {
        metrics.onStatus(dispatcher.statusSnapshot(nowNs));
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }

    @Test
    void aKnownRunGivesExactCountsAndTimesUnderTheDocumentedNames() {
        dispatcher.onWorkerMessage(bytes("w1"), BackendCodec.ready(4242, 1, "java@node-a", 0));
        job("a", 10);                                   // routed at once: waited 0
        job("b", 10);                                   // queued (the worker's one slot is taken)
        job("c", 10);                                   // the queue holds 1: BUSY
        job("d", 500);                                  // over maxJobBytes=100: TOO_LARGE
        nowNs += 5 * MS;
        reply(true);                                    // a: 5 ms of service; b leaves the queue after 5 ms
        nowNs += 7 * MS;
        reply(false);                                   // b: 7 ms of service, answered ERROR
        publish();

        assertEquals(4, counter("powerhose.broker.jobs.received"));
        assertEquals(1, counter("powerhose.broker.jobs.answered", "outcome", "ok"));
        assertEquals(1, counter("powerhose.broker.jobs.answered", "outcome", "error"));
        assertEquals(1, counter("powerhose.broker.jobs.answered", "outcome", "busy"));
        assertEquals(1, counter("powerhose.broker.jobs.answered", "outcome", "too_large"));
        assertEquals(0, counter("powerhose.broker.jobs.answered", "outcome", "worker_lost"));
        assertEquals(2, counter("powerhose.broker.jobs.routed"));
        assertEquals(1, counter("powerhose.broker.worker.jobs", "worker", "4242", "host", "node-a",
            "language", "java", "outcome", "ok"));
        assertEquals(1, counter("powerhose.broker.worker.jobs", "worker", "4242", "outcome", "error"));
        assertEquals(1, registry.get("powerhose.broker.workers").tags("state", "active", "language", "java")
            .gauge().value());
        assertEquals(1, registry.get("powerhose.broker.workers.active").gauge().value());
        assertEquals(1, registry.get("powerhose.broker.queue.limit").gauge().value());
        assertEquals(0, registry.get("powerhose.broker.jobs.queued").gauge().value());
        assertEquals(0, counter("powerhose.broker.received", "socket", "frontend"),
            "bytes are counted by the conductor around its sockets: the meter is there, at 0 without one");

        Timer wait = registry.get("powerhose.broker.queue.wait").timer();
        assertEquals(2, wait.count());
        assertEquals(5, wait.totalTime(TimeUnit.MILLISECONDS), 1e-9);
        Timer service = registry.get("powerhose.broker.service").timer();
        assertEquals(2, service.count());
        assertEquals(12, service.totalTime(TimeUnit.MILLISECONDS), 1e-9);
        assertEquals(7, service.max(TimeUnit.MILLISECONDS), 1e-9);
    }

    @Test
    void aWorkerThatLeavesTakesItsOwnMetersWithIt() {
        dispatcher.onWorkerMessage(bytes("w1"), BackendCodec.ready(4242, 1, "c@node-b", 0));
        publish();
        assertEquals(1, registry.find("powerhose.broker.worker.jobs.in.flight").gauges().size());
        assertEquals(1, registry.get("powerhose.broker.workers").tags("language", "c").gauge().value());

        dispatcher.onWorkerMessage(bytes("w1"), BackendCodec.disconnect());
        publish();
        assertEquals(0, registry.find("powerhose.broker.worker.jobs").functionCounters().size());
        assertEquals(0, registry.find("powerhose.broker.worker.jobs.in.flight").gauges().size());
        assertEquals(0, registry.get("powerhose.broker.workers.active").gauge().value());
        assertNull(registry.find("powerhose.broker.workers").tags("language", "c").gauge());
    }

    @Test
    void closingTheMetricsRemovesEveryBrokerMeter() {
        dispatcher.onWorkerMessage(bytes("w1"), BackendCodec.ready(4242, 1, "java@node-a", 0));
        publish();
        metrics.close();
        assertEquals(List.of(), registry.getMeters().stream().map(m -> m.getId().getName())
            .filter(name -> name.startsWith("powerhose.broker")).toList());
    }

    @Test
    void theSnapshotCarriesTheStatusCountersAndEachWorker() {
        dispatcher.onWorkerMessage(bytes("w1"), BackendCodec.ready(4242, 2, "python@node-c", 3));
        job("a", 10);
        nowNs += 250 * MS;
        BrokerStatus status = dispatcher.statusSnapshot(nowNs);
        assertEquals(7, status.pid());
        assertEquals(1, status.counter("jobs_received"));
        assertEquals(1, status.jobsInFlight());
        BrokerStatus.Worker worker = status.workers().get(0);
        assertEquals("4242", worker.id());
        assertEquals("python", worker.language());
        assertEquals("node-c", worker.host());
        assertEquals(2, worker.capacity());
        assertEquals(1, worker.jobsInFlight());
        assertEquals(Duration.ofMillis(250), worker.lastSeen());
        assertEquals(status.counters().keySet().stream().toList(), dispatcher.statusText(nowNs).lines()
            .map(line -> line.substring(0, line.indexOf('='))).filter(status.counters()::containsKey).toList(),
            "the snapshot's counters are STATUS's, in its order");
    }

    @Test
    void withoutARegistryNothingIsMadeAndTheHandlerIsItsOwn() {
        assertSame(BrokerMetrics.NONE, Metrics.broker(null));
        assertSame(ClientMetrics.NONE, Metrics.client(null, () -> 0));
        JobHandler handler = job -> job.data();
        assertSame(handler, Metrics.worker(null).instrument(handler));
    }

    @Test
    void aWorkerRecordsEachRunOfItsHandlerByOutcome() throws Exception {
        WorkerMetrics worker = Metrics.worker(registry);
        JobHandler handler = worker.instrument(job -> {
            if (job.dataAsString().equals("fail")) {
                throw new IllegalStateException("no");
            }
            return job.data();
        });
        handler.handle(new Job("x"));
        handler.handle(new Job("y"));
        assertThrows(IllegalStateException.class, () -> handler.handle(new Job("fail")));
        worker.onJobTimedOut();
        assertEquals(2, registry.get("powerhose.worker.jobs").tag("outcome", "ok").timer().count());
        assertEquals(1, registry.get("powerhose.worker.jobs").tag("outcome", "error").timer().count());
        assertEquals(1, registry.get("powerhose.worker.jobs.timed.out").counter().count());
    }

    @Test
    void aClientCallEndsUnderOneOutcomeTag() {
        assertEquals("ok", ClientMetrics.outcome(null, false));
        assertEquals("cancelled", ClientMetrics.outcome(null, true));
        assertEquals("timeout", ClientMetrics.outcome(new JobTimeoutException("x", Duration.ZERO, Duration.ZERO),
            false));
        assertEquals("no_worker", ClientMetrics.outcome(new NoWorkerException("x"), false));
        assertEquals("failed", ClientMetrics.outcome(new IllegalStateException(), false));
        ClientMetrics client = Metrics.client(registry, () -> 3);
        ClientMetrics other = Metrics.client(registry, () -> 4);
        assertEquals(7, registry.get("powerhose.client.calls.in.flight").gauge().value(),
            "clients of one registry (a pool's) add up");
        client.onCallEnded(System.nanoTime(), null, false);
        other.onCallEnded(System.nanoTime(), new NoWorkerException("x"), false);
        assertEquals(1, registry.get("powerhose.client.calls").tag("outcome", "ok").timer().count());
        assertEquals(1, registry.get("powerhose.client.calls").tag("outcome", "no_worker").timer().count());
        other.close();
        assertEquals(3, registry.get("powerhose.client.calls.in.flight").gauge().value());
    }
}
