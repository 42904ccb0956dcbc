package io.powerhose;

import io.micrometer.core.instrument.MeterRegistry;
import io.powerhose.internal.Defaults;
import io.powerhose.internal.Durations;
import io.powerhose.internal.EndpointList;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
 * timeout)}. Every deadline starts when the job is submitted, whether or not it could be sent yet.
 *
 * <p>The client holds at most {@code maxPendingCalls} jobs and {@code maxPendingBytes} of job payload at once (a
 * job counts from {@code submit} until its future completes). Past either bound, {@code submit} and
 * {@code execute} fail at once with {@link ClientBusyException}; they never wait for room. A caller that wants to
 * wait limits its own concurrency (a semaphore of fewer permits than the bound), or retries after a pause.
 *
 * <p>Several brokers: {@code frontend("tcp://a:5555,tcp://b:5555")} (or {@link Builder#frontends(List)}) connects
 * to each; each job goes to one broker that is connected, and a broker that is lost only fails the calls it held
 * (see docs/PROTOCOL.md, "Several brokers").
 *
 * <p>Jobs are delivered at most once by default. With {@code retryable(true)}, every job of the client is
 * at-least-once: see {@link Job#retryable(boolean)}.
 *
 * <p>With {@code curveServerKey} (the broker's public key) the connection is encrypted and authenticated with
 * CURVE; {@code curveKey} is the client's own key pair, which a broker with an allow-list of clients must know
 * (without one, a new key pair is made per connection). See docs/SECURITY.md.
 */
public final class ClientOptions {
    /** The default of {@link Builder#maxPendingCalls(int)}. */
    public static final int DEFAULT_MAX_PENDING_CALLS = 10_000;
    /** The default of {@link Builder#maxPendingBytes(long)}: 256 MiB. */
    public static final long DEFAULT_MAX_PENDING_BYTES = 256L << 20;
    private static final int MAX_PENDING_CALLS_LIMIT = 10_000_000;
    private final EndpointList frontends;
    private final Duration timeout;
    private final Duration timeoutMaxOverflow;
    private final int timeoutOverflows;
    private final long maxJobBytes;
    private final Executor completionExecutor;
    private final int maxPendingCalls;
    private final long maxPendingBytes;
    private final boolean retryable;
    private final MeterRegistry meterRegistry;
    private final CurveCertificate curveServerKey;
    private final CurveCertificate curveKey;

    private ClientOptions(Builder b) {
        this.frontends = EndpointList.parse("frontend", b.frontend);
        this.timeout = b.timeout;
        this.timeoutMaxOverflow = b.timeoutMaxOverflow;
        this.timeoutOverflows = b.timeoutOverflows;
        this.maxJobBytes = b.maxJobBytes;
        this.completionExecutor = b.completionExecutor;
        this.maxPendingCalls = b.maxPendingCalls;
        this.maxPendingBytes = b.maxPendingBytes;
        this.retryable = b.retryable;
        this.meterRegistry = b.meterRegistry;
        this.curveServerKey = b.curveServerKey;
        this.curveKey = b.curveKey;
    }

    /** @return a builder with the defaults (frontend {@link BrokerOptions#DEFAULT_FRONTEND}, 5 s, 7.5 s, 1) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder that starts from these settings */
    public Builder newBuilder() {
        return new Builder(this);
    }

    /** @return the brokers' frontend endpoints, comma-separated as given (one broker: its endpoint) */
    public String frontend() {
        return frontends.text();
    }

    /** @return the brokers' frontend endpoints, one or more, in the order given */
    public List<String> frontends() {
        return frontends.endpoints();
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

    /** @return the most jobs the client holds at once (submitted and not yet completed) */
    public int maxPendingCalls() {
        return maxPendingCalls;
    }

    /** @return the most job payload bytes the client holds at once */
    public long maxPendingBytes() {
        return maxPendingBytes;
    }

    /** @return whether every job of this client is retryable (at-least-once), whatever the job says */
    public boolean retryable() {
        return retryable;
    }

    /** @return where the client's meters go (docs/OPERATIONS.md, "Metrics"), or null for none (the default) */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    /** @return the broker's public key, for CURVE; null for no security */
    public CurveCertificate curveServerKey() {
        return curveServerKey;
    }

    /** @return the client's own CURVE key pair; null for none (a new one per connection when CURVE is on) */
    public CurveCertificate curveKey() {
        return curveKey;
    }

    /** Builds {@link ClientOptions}; checks all settings together in {@link #build()}. Not thread safe. */
    public static final class Builder {
        private String frontend = BrokerOptions.DEFAULT_FRONTEND;
        private Duration timeout = Defaults.EXPECTED_TIME;
        private Duration timeoutMaxOverflow = Defaults.WAIT_LIMIT;
        private int timeoutOverflows = 1;
        private long maxJobBytes = Defaults.MAX_JOB_BYTES;
        private Executor completionExecutor = ForkJoinPool.commonPool();
        private int maxPendingCalls = DEFAULT_MAX_PENDING_CALLS;
        private long maxPendingBytes = DEFAULT_MAX_PENDING_BYTES;
        private boolean retryable;
        private MeterRegistry meterRegistry;
        private CurveCertificate curveServerKey;
        private CurveCertificate curveKey;

        private Builder() {
        }

        private Builder(ClientOptions o) {
            frontend = o.frontends.text();
            timeout = o.timeout;
            timeoutMaxOverflow = o.timeoutMaxOverflow;
            timeoutOverflows = o.timeoutOverflows;
            maxJobBytes = o.maxJobBytes;
            completionExecutor = o.completionExecutor;
            maxPendingCalls = o.maxPendingCalls;
            maxPendingBytes = o.maxPendingBytes;
            retryable = o.retryable;
            meterRegistry = o.meterRegistry;
            curveServerKey = o.curveServerKey;
            curveKey = o.curveKey;
        }

        /**
         * Records the client's metrics in a Micrometer registry: job calls by outcome with their round trip, jobs in
         * flight, late replies (docs/OPERATIONS.md, "Metrics"). The clients of a {@link Pool}, and any clients given
         * the same registry, share the meters. Micrometer is an optional dependency of powerhose-core: bring
         * {@code io.micrometer:micrometer-core} to use this. Without a registry (the default) nothing is recorded.
         *
         * @param registry the registry, or null for none
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /**
         * @param endpoint the broker's frontend, or several brokers' frontends separated by commas
         *                 ({@code tcp://a:5555,tcp://b:5555})
         * @return this builder
         */
        public Builder frontend(String endpoint) {
            this.frontend = Objects.requireNonNull(endpoint, "frontend");
            return this;
        }

        /**
         * @param endpoints the frontends of the brokers to use (one or more)
         * @return this builder
         */
        public Builder frontends(List<String> endpoints) {
            this.frontend = String.join(",", Objects.requireNonNull(endpoints, "frontends"));
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
         * @param calls the most jobs the client holds at once, from {@code submit} until their future completes
         *              (default 10,000, the broker's default queue bound); past it a job fails at once with
         *              {@link ClientBusyException}
         * @return this builder
         */
        public Builder maxPendingCalls(int calls) {
            this.maxPendingCalls = calls;
            return this;
        }

        /**
         * @param bytes the most job payload bytes the client holds at once (default 256 MiB); at least
         *              {@code maxJobBytes}; past it a job fails at once with {@link ClientBusyException}
         * @return this builder
         */
        public Builder maxPendingBytes(long bytes) {
            this.maxPendingBytes = bytes;
            return this;
        }

        /**
         * @param retryable make every job of the client retryable, at-least-once (default false: only the jobs
         *                  marked with {@link Job#retryable(boolean)})
         * @return this builder
         */
        public Builder retryable(boolean retryable) {
            this.retryable = retryable;
            return this;
        }

        /**
         * @param serverKey the broker's public key (its {@code NAME.key} file, read now): turns CURVE on
         * @return this builder
         * @throws ConfigurationException naming the file when it cannot be read or is not a certificate
         */
        public Builder curveServerKey(Path serverKey) {
            return curveServerKey(CurveCertificate.load(Objects.requireNonNull(serverKey, "curveServerKey")));
        }

        /**
         * @param serverKey the broker's public key, or null for no security (the default)
         * @return this builder
         */
        public Builder curveServerKey(CurveCertificate serverKey) {
            this.curveServerKey = serverKey;
            return this;
        }

        /**
         * @param key the client's key pair: its {@code NAME.key_secret} file (or the {@code NAME.key} next to it),
         *            read now; it must be readable by its owner only
         * @return this builder
         * @throws ConfigurationException naming the file when it cannot be read, is open to others, or has no
         *     secret key
         */
        public Builder curveKey(Path key) {
            return curveKey(CurveCertificate.loadSecret(Objects.requireNonNull(key, "curveKey")));
        }

        /**
         * @param key the client's key pair, or null for a new one per connection (the default)
         * @return this builder
         */
        public Builder curveKey(CurveCertificate key) {
            this.curveKey = key;
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
            if (maxPendingCalls < 1 || maxPendingCalls > MAX_PENDING_CALLS_LIMIT) {
                throw new ConfigurationException("maxPendingCalls=" + maxPendingCalls + " must be 1 to "
                    + MAX_PENDING_CALLS_LIMIT);
            }
            if (maxPendingBytes < maxJobBytes) {
                throw new ConfigurationException("maxPendingBytes=" + maxPendingBytes + " < maxJobBytes=" + maxJobBytes
                    + ": a job of the largest size must fit");
            }
            EndpointList.parse("frontend", frontend);
            Settings.curveClient(curveServerKey, curveKey);
            return new ClientOptions(this);
        }
    }
}
