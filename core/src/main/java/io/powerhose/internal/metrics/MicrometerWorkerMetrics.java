package io.powerhose.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;

/** {@link WorkerMetrics} on Micrometer. */
final class MicrometerWorkerMetrics implements WorkerMetrics {
    private final Timer ok;
    private final Timer error;
    private final Counter timedOut;

    MicrometerWorkerMetrics(MeterRegistry registry) {
        String description = "Runs of the job handler by outcome (ok: it returned, error: it threw), and their time";
        this.ok = Timers.builder("powerhose.worker.jobs", description).tag("outcome", "ok").register(registry);
        this.error = Timers.builder("powerhose.worker.jobs", description).tag("outcome", "error").register(registry);
        this.timedOut = Counter.builder("powerhose.worker.jobs.timed.out")
            .description("Jobs that ran past the worker's timeout: answered ERROR, their thread abandoned")
            .register(registry);
    }

    @Override
    public void onJobRan(boolean succeeded, long runNs) {
        (succeeded ? ok : error).record(runNs, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onJobTimedOut() {
        timedOut.increment();
    }
}
