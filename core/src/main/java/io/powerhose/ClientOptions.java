package io.powerhose;

import io.powerhose.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * The settings of a {@link Client} or {@link Pool}. Immutable; build with {@link #builder()}.
 *
 * <p>Timeouts follow Powerhose 0.x: a job should take at most {@code timeout}; its caller waits up to
 * {@code timeoutMaxOverflow} for the result. A result later than {@code timeout} but before
 * {@code timeoutMaxOverflow} is an overflow; more than {@code timeoutOverflows} overflows in a row from one
 * worker raise {@link JobTimeoutException} even though the result came. A per-call timeout replaces
 * {@code timeout} and keeps the same margin: the caller then waits {@code callTimeout + (timeoutMaxOverflow -
 * timeout)}.
 */
public final class ClientOptions {
    private final String frontend;
    private final Duration timeout;
    private final Duration timeoutMaxOverflow;
    private final int timeoutOverflows;
    private final long maxJobBytes;
    private final Executor completionExecutor;

    private ClientOptions(Builder b) {
        this.frontend = b.frontend;
        this.timeout = b.timeout;
        this.timeoutMaxOverflow = b.timeoutMaxOverflow;
        this.timeoutOverflows = b.timeoutOverflows;
        this.maxJobBytes = b.maxJobBytes;
        this.completionExecutor = b.completionExecutor;
    }

    /** @return a builder with the defaults (frontend {@link BrokerOptions#DEFAULT_FRONTEND}, 5 s, 7.5 s, 1) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder that starts from these settings */
    public Builder newBuilder() {
        return new Builder(this);
    }

    /** @return the broker's frontend endpoint */
    public String frontend() {
        return frontend;
    }

    /** @return how long a job should take */
    public Duration timeout() {
        return timeout;
    }

    /** @return how long a caller waits for a result */
    public Duration timeoutMaxOverflow() {
        return timeoutMaxOverflow;
    }

    /** @return how many overflows in a row one worker may have before results count as timeouts */
    public int timeoutOverflows() {
        return timeoutOverflows;
    }

    /** @return the largest serialized job the client sends, in bytes */
    public long maxJobBytes() {
        return maxJobBytes;
    }

    /** @return where stages attached to {@code submit}'s futures run, so that no user code runs on the I/O thread */
    public Executor completionExecutor() {
        return completionExecutor;
    }

    /** Builds {@link ClientOptions}; checks all settings together in {@link #build()}. Not thread safe. */
    public static final class Builder {
        private String frontend = BrokerOptions.DEFAULT_FRONTEND;
        private Duration timeout = Duration.ofSeconds(5);
        private Duration timeoutMaxOverflow = Duration.ofMillis(7500);
        private int timeoutOverflows = 1;
        private long maxJobBytes = 16L << 20;
        private Executor completionExecutor = ForkJoinPool.commonPool();

        private Builder() {
        }

        private Builder(ClientOptions o) {
            frontend = o.frontend;
            timeout = o.timeout;
            timeoutMaxOverflow = o.timeoutMaxOverflow;
            timeoutOverflows = o.timeoutOverflows;
            maxJobBytes = o.maxJobBytes;
            completionExecutor = o.completionExecutor;
        }

        /**
         * @param endpoint the broker's frontend
         * @return this builder
         */
        public Builder frontend(String endpoint) {
            this.frontend = Objects.requireNonNull(endpoint, "frontend");
            return this;
        }

        /**
         * @param timeout how long a job should take (default 5 s)
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param timeoutMaxOverflow how long a caller waits (default 7.5 s); at least {@code timeout}
         * @return this builder
         */
        public Builder timeoutMaxOverflow(Duration timeoutMaxOverflow) {
            this.timeoutMaxOverflow = Objects.requireNonNull(timeoutMaxOverflow, "timeoutMaxOverflow");
            return this;
        }

        /**
         * @param overflows overflows in a row allowed per worker (default 1)
         * @return this builder
         */
        public Builder timeoutOverflows(int overflows) {
            this.timeoutOverflows = overflows;
            return this;
        }

        /**
         * @param bytes the largest serialized job to send (default 16 MiB, the broker's default)
         * @return this builder
         */
        public Builder maxJobBytes(long bytes) {
            this.maxJobBytes = bytes;
            return this;
        }

        /**
         * @param executor where stages attached to {@code submit} futures run (default the common fork-join pool)
         * @return this builder
         */
        public Builder completionExecutor(Executor executor) {
            this.completionExecutor = Objects.requireNonNull(executor, "completionExecutor");
            return this;
        }

        /**
         * Checks the settings together and builds them.
         *
         * @return the options
         * @throws ConfigurationException naming the setting and its value when one is invalid
         */
        public ClientOptions build() {
            Settings.positive("timeout", timeout);
            Settings.positive("timeoutMaxOverflow", timeoutMaxOverflow);
            if (timeoutMaxOverflow.compareTo(timeout) < 0) {
                throw new ConfigurationException("timeoutMaxOverflow=" + Durations.text(timeoutMaxOverflow)
                    + " < timeout=" + Durations.text(timeout));
            }
            if (timeoutOverflows < 0) {
                throw new ConfigurationException("timeoutOverflows=" + timeoutOverflows + " must be 0 or more");
            }
            if (maxJobBytes < 1) {
                throw new ConfigurationException("maxJobBytes=" + maxJobBytes + " must be 1 or more");
            }
            Settings.endpoint("frontend", frontend);
            return new ClientOptions(this);
        }
    }
}
