package io.powerhose.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * {@link ClientMetrics} on Micrometer. Clients that share a registry (a {@code Pool}'s) share its meters: Micrometer
 * gives each the same counters and timers, and the in-flight gauge sums the jobs of every live client of that
 * registry.
 */
final class MicrometerClientMetrics implements ClientMetrics {
    /** The live clients' in-flight suppliers of each registry, for its one gauge. */
    private static final Map<MeterRegistry, Set<IntSupplier>> LIVE_BY_REGISTRY =
        Collections.synchronizedMap(new WeakHashMap<>());
    static final String[] OUTCOMES = {"ok", "error", "timeout", "no_worker", "worker_lost", "busy", "client_busy",
        "broker_lost", "too_large", "cancelled", "failed"};

    private final MeterRegistry registry;
    private final IntSupplier jobsHeld;
    private final Set<IntSupplier> live;
    private final ConcurrentMap<String, Timer> callsByOutcome = new ConcurrentHashMap<>();
    private final Counter lateReplies;

    MicrometerClientMetrics(MeterRegistry registry, IntSupplier jobsHeld) {
        this.registry = registry;
        this.jobsHeld = jobsHeld;
        this.live = LIVE_BY_REGISTRY.computeIfAbsent(registry, r -> {
            Set<IntSupplier> set = ConcurrentHashMap.newKeySet();
            Gauge.builder("powerhose.client.calls.in.flight", set,
                    s -> s.stream().mapToInt(IntSupplier::getAsInt).sum())
                .description("Jobs the clients hold: submitted and not completed yet").strongReference(true)
                .register(r);
            return set;
        });
        live.add(jobsHeld);
        for (String outcome : OUTCOMES) {
            callsByOutcome.put(outcome, timer(outcome));
        }
        this.lateReplies = Counter.builder("powerhose.client.replies.late")
            .description("Replies that came after their call had ended (timed out, cancelled); dropped")
            .register(registry);
    }

    private Timer timer(String outcome) {
        return Timers.builder("powerhose.client.calls",
            "Job calls by outcome, and their time from submit to the end of the call").tag("outcome", outcome)
            .register(registry);
    }

    @Override
    public void onCallEnded(long submitNs, Throwable error, boolean cancelled) {
        String outcome = ClientMetrics.outcome(error, cancelled);
        callsByOutcome.computeIfAbsent(outcome, this::timer)
            .record(System.nanoTime() - submitNs, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onLateReply() {
        lateReplies.increment();
    }

    @Override
    public void close() {
        live.remove(jobsHeld);
    }
}
