package io.powerhose.internal.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.powerhose.BrokerStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * {@link BrokerMetrics} on Micrometer. The two timers are recorded by the broker thread as jobs move; every other
 * meter reads the latest {@link BrokerStatus} the broker thread published ({@link #onStatus}), when the registry is
 * scraped, on the scraping thread. Per-worker meters are added and removed on the broker thread when the set of
 * workers changes (rare: a registration or a removal).
 */
final class MicrometerBrokerMetrics implements BrokerMetrics {
    /** Each counter: its STATUS key, its meter name, a tag (or none) and what it counts. */
    static final List<CounterSpec> COUNTERS = List.of(
        new CounterSpec("jobs_received", "powerhose.broker.jobs.received", null, null,
            "Jobs received from clients", null),
        new CounterSpec("jobs_ok", "powerhose.broker.jobs.answered", "outcome", "ok",
            "Jobs answered, by outcome", null),
        new CounterSpec("jobs_error", "powerhose.broker.jobs.answered", "outcome", "error", null, null),
        new CounterSpec("jobs_expired", "powerhose.broker.jobs.answered", "outcome", "expired", null, null),
        new CounterSpec("jobs_busy", "powerhose.broker.jobs.answered", "outcome", "busy", null, null),
        new CounterSpec("jobs_no_worker", "powerhose.broker.jobs.answered", "outcome", "no_worker", null, null),
        new CounterSpec("jobs_worker_lost", "powerhose.broker.jobs.answered", "outcome", "worker_lost", null, null),
        new CounterSpec("jobs_too_large", "powerhose.broker.jobs.answered", "outcome", "too_large", null, null),
        new CounterSpec("jobs_routed", "powerhose.broker.jobs.routed", null, null,
            "Jobs sent to a worker (a retried job counts twice)", null),
        new CounterSpec("jobs_retried", "powerhose.broker.jobs.retried", null, null,
            "Retryable jobs sent again to another worker after their worker was lost", null),
        new CounterSpec("jobs_cancelled_queued", "powerhose.broker.jobs.cancelled", "state", "queued",
            "Jobs cancelled by their client, while queued (never ran) or running (result discarded)", null),
        new CounterSpec("jobs_cancelled_running", "powerhose.broker.jobs.cancelled", "state", "running", null, null),
        new CounterSpec("workers_lost", "powerhose.broker.workers.lost", null, null,
            "Workers forgotten while they held jobs (died, hung, unreachable)", null),
        new CounterSpec("late_replies", "powerhose.broker.replies.late", null, null,
            "Replies for a job the broker no longer held (answered or failed before)", null),
        new CounterSpec("replies_undeliverable", "powerhose.broker.replies.undeliverable", null, null,
            "Answers the broker could not send to their client (gone, or its queue full)", null),
        new CounterSpec("replies_too_large", "powerhose.broker.replies.too.large", null, null,
            "Results over the broker's maxReplyBytes (answered ERROR)", null),
        new CounterSpec("frames_dropped", "powerhose.broker.messages.malformed", null, null,
            "Messages that could not be decoded or received whole (answered INVALID, or dropped)", null),
        new CounterSpec("refusals", "powerhose.broker.peers.refused", null, null,
            "READYs and unregistered peers' messages refused with DISCONNECT", null),
        new CounterSpec("workers_clamped", "powerhose.broker.workers.clamped", null, null,
            "READYs whose capacity or prefetch was over the broker's limit", null),
        new CounterSpec("connections_closed", "powerhose.broker.connections.closed", null, null,
            "Backend connections that closed", null),
        new CounterSpec("frontend_dropped_full", "powerhose.broker.messages.dropped", "socket", "frontend",
            "Messages to a peer dropped because its queue was full (a peer that does not read)", null),
        new CounterSpec("backend_dropped_full", "powerhose.broker.messages.dropped", "socket", "backend", null, null),
        new CounterSpec("cancels_unmatched", "powerhose.broker.cancels.unmatched", null, null,
            "CANCELs for a request the broker did not hold", null),
        new CounterSpec("internal_errors", "powerhose.broker.errors.internal", null, null,
            "Errors the broker loop caught that were not a peer's fault (a bug: please report)", null),
        new CounterSpec("frontend_bytes_in", "powerhose.broker.received", "socket", "frontend",
            "Bytes of the messages received (frames after the routing id)", BaseUnits.BYTES),
        new CounterSpec("backend_bytes_in", "powerhose.broker.received", "socket", "backend", null, BaseUnits.BYTES),
        new CounterSpec("frontend_bytes_out", "powerhose.broker.sent", "socket", "frontend",
            "Bytes of the messages sent (frames after the routing id)", BaseUnits.BYTES),
        new CounterSpec("backend_bytes_out", "powerhose.broker.sent", "socket", "backend", null, BaseUnits.BYTES));

    private final MeterRegistry registry;
    private final Timer queueWait;
    private final Timer service;
    private final List<Meter> meters = new ArrayList<>();
    private final MultiGauge workersByStateAndLanguage;
    /** Broker thread only: the meters of each worker, by its STATUS id. */
    private final Map<String, List<Meter>> metersByWorkerId = new HashMap<>();
    private Set<List<String>> workerRows = Set.of();
    private volatile BrokerStatus status = new BrokerStatus(0, Duration.ZERO, 0, 0, 0, 0, Map.of(), List.of());
    private volatile Map<String, BrokerStatus.Worker> workerById = Map.of();

    MicrometerBrokerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.queueWait = Timers.withPercentiles("powerhose.broker.queue.wait",
            "Time a job waited in the broker's queue before it was sent to a worker").register(registry);
        this.service = Timers.withPercentiles("powerhose.broker.service",
            "Time from sending a job to a worker to its answer (the job, the worker's queue and the transport)")
            .register(registry);
        meters.add(queueWait);
        meters.add(service);
        Map<String, String> descriptions = new HashMap<>();
        for (CounterSpec spec : COUNTERS) {
            if (spec.description() != null) {
                descriptions.put(spec.name(), spec.description());
            }
        }
        for (CounterSpec spec : COUNTERS) {
            String key = spec.key();
            FunctionCounter.Builder<MicrometerBrokerMetrics> builder = FunctionCounter
                .builder(spec.name(), this, m -> m.status.counter(key))
                .description(descriptions.get(spec.name()));
            if (spec.tag() != null) {
                builder.tag(spec.tag(), spec.tagValue());
            }
            if (spec.baseUnit() != null) {
                builder.baseUnit(spec.baseUnit());
            }
            meters.add(builder.register(registry));
        }
        gauge("powerhose.broker.jobs.queued", "Jobs waiting in the broker's queue for a worker", null,
            m -> m.status.jobsQueued());
        gauge("powerhose.broker.queue.limit", "The queue's bound: past it, new jobs are answered BUSY", null,
            m -> m.status.maxQueuedJobs());
        gauge("powerhose.broker.queue.size", "Payload bytes waiting in the broker's queue", BaseUnits.BYTES,
            m -> m.status.queuedBytes());
        gauge("powerhose.broker.jobs.in.flight", "Jobs sent to workers and not answered yet", null,
            m -> m.status.jobsInFlight());
        gauge("powerhose.broker.workers.active", "Registered workers that take jobs (not leaving)", null,
            m -> m.status.workers().stream().filter(w -> !w.leaving()).count());
        this.workersByStateAndLanguage = MultiGauge.builder("powerhose.broker.workers")
            .description("Registered workers by state (active, leaving) and language").register(registry);
    }

    private void gauge(String name, String description, String baseUnit,
                       ToDoubleFunction<MicrometerBrokerMetrics> value) {
        meters.add(Gauge.builder(name, this, value).description(description).baseUnit(baseUnit)
            .strongReference(true).register(registry));
    }

    @Override
    public void onJobRouted(long queueWaitNs) {
        queueWait.record(queueWaitNs, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onJobAnswered(long serviceNs) {
        service.record(serviceNs, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onStatus(BrokerStatus status) {
        Map<String, BrokerStatus.Worker> byId = new LinkedHashMap<>();
        for (BrokerStatus.Worker worker : status.workers()) {
            byId.put(worker.id(), worker);
        }
        this.workerById = byId;
        this.status = status;
        updateWorkerMeters(byId);
        updateWorkerRows(status);
    }

    /** Adds the meters of new workers and removes those of workers gone (a registration or removal: rare). */
    private void updateWorkerMeters(Map<String, BrokerStatus.Worker> byId) {
        for (BrokerStatus.Worker worker : byId.values()) {
            if (metersByWorkerId.containsKey(worker.id())) {
                continue;
            }
            String id = worker.id();
            Tags tags = Tags.of("worker", id, "host", worker.host(), "language", worker.language());
            List<Meter> own = new ArrayList<>(3);
            own.add(FunctionCounter.builder("powerhose.broker.worker.jobs", this, m -> m.workerValue(id, 0))
                .description("Jobs each worker answered, by outcome (ok, error)").tags(tags).tag("outcome", "ok")
                .register(registry));
            own.add(FunctionCounter.builder("powerhose.broker.worker.jobs", this, m -> m.workerValue(id, 1))
                .description("Jobs each worker answered, by outcome (ok, error)").tags(tags).tag("outcome", "error")
                .register(registry));
            own.add(Gauge.builder("powerhose.broker.worker.jobs.in.flight", this, m -> m.workerValue(id, 2))
                .description("Jobs each worker holds now").tags(tags).strongReference(true).register(registry));
            metersByWorkerId.put(id, own);
        }
        metersByWorkerId.entrySet().removeIf(entry -> {
            if (byId.containsKey(entry.getKey())) {
                return false;
            }
            entry.getValue().forEach(registry::remove);
            return true;
        });
    }

    /** The latest value of one worker's meter: 0 ok, 1 errors, 2 in flight; NaN once it is gone. */
    private double workerValue(String id, int what) {
        BrokerStatus.Worker worker = workerById.get(id);
        if (worker == null) {
            return Double.NaN;
        }
        return switch (what) {
            case 0 -> worker.jobsDone() - worker.jobsFailed();
            case 1 -> worker.jobsFailed();
            default -> worker.jobsInFlight();
        };
    }

    private void updateWorkerRows(BrokerStatus status) {
        Set<List<String>> rows = new LinkedHashSet<>();
        for (BrokerStatus.Worker worker : status.workers()) {
            rows.add(List.of(worker.leaving() ? "leaving" : "active", worker.language()));
        }
        if (rows.equals(workerRows)) {
            return;
        }
        workerRows = rows;
        List<MultiGauge.Row<?>> gaugeRows = new ArrayList<>();
        for (List<String> row : rows) {
            String state = row.get(0);
            String language = row.get(1);
            gaugeRows.add(MultiGauge.Row.of(Tags.of("state", state, "language", language), this,
                m -> m.status.workers().stream()
                    .filter(w -> (w.leaving() ? "leaving" : "active").equals(state) && w.language().equals(language))
                    .count()));
        }
        workersByStateAndLanguage.register(gaugeRows, false);
    }

    @Override
    public void close() {
        workersByStateAndLanguage.register(List.of(), true);
        for (List<Meter> own : metersByWorkerId.values()) {
            own.forEach(registry::remove);
        }
        metersByWorkerId.clear();
        meters.forEach(registry::remove);
    }

    /**
     * How one STATUS counter is published.
     *
     * @param key its STATUS key
     * @param name the meter's name
     * @param tag a tag's key, or null
     * @param tagValue the tag's value
     * @param description what the meter counts (given once per name), or null
     * @param baseUnit the unit, or null
     */
    record CounterSpec(String key, String name, String tag, String tagValue, String description, String baseUnit) {
    }
}
