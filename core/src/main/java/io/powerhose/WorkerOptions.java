package io.powerhose;

import io.micrometer.core.instrument.MeterRegistry;
import io.powerhose.internal.Params;
import io.powerhose.internal.Defaults;
import io.powerhose.internal.EndpointList;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a {@link Worker}, with the documented Powerhose 0.x names and defaults. Immutable; build
 * with {@link #builder()}. With {@code curveServerKey} (the broker's public key) the worker's connections are
 * encrypted and authenticated with CURVE; {@code curveKey} is its own key pair, which a broker with an allow-list
 * of workers must know (docs/SECURITY.md).
 *
 * <p>Several brokers: {@code backend("tcp://a:5556,tcp://b:5556").heartbeat("tcp://a:5557,tcp://b:5557")} (one
 * heartbeat for each backend, in the same order) registers the worker with every broker; it takes jobs from each,
 * and runs at most {@code capacity} at once in all (see docs/PROTOCOL.md, "Several brokers").
 */
public final class WorkerOptions {
    private final String target;
    private final JobHandler handler;
    private final EndpointList backends;
    private final EndpointList heartbeats;
    private final Duration pingDelay;
    private final int pingRetries;
    private final Map<String, String> params;
    private final Duration timeout;
    private final Duration maxAge;
    private final Duration maxAgeDelta;
    private final int capacity;
    private final int prefetch;
    private final Duration heartbeatInterval;
    private final long maxJobBytes;
    private final MeterRegistry meterRegistry;
    private final CurveCertificate curveServerKey;
    private final CurveCertificate curveKey;

    private WorkerOptions(Builder b) {
        this.target = b.target;
        this.handler = b.handler;
        this.backends = EndpointList.parse("backend", b.backend);
        this.heartbeats = EndpointList.parse("heartbeat", b.heartbeat);
        this.pingDelay = b.pingDelay;
        this.pingRetries = b.pingRetries;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(b.params));
        this.timeout = b.timeout;
        this.maxAge = b.maxAge;
        this.maxAgeDelta = b.maxAgeDelta;
        this.capacity = b.capacity;
        this.prefetch = b.prefetch;
        this.heartbeatInterval = b.heartbeatInterval;
        this.maxJobBytes = b.maxJobBytes;
        this.meterRegistry = b.meterRegistry;
        this.curveServerKey = b.curveServerKey;
        this.curveKey = b.curveKey;
    }

    /** @return a builder with the defaults; set a target or a handler */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder that starts from these settings */
    public Builder newBuilder() {
        return new Builder(this);
    }

    /** @return the target name ({@code com.example.Echo} or {@code com.example.Echo::echo}), or null */
    public String target() {
        return target;
    }

    /** @return the handler given directly, or null */
    public JobHandler handler() {
        return handler;
    }

    /** @return the brokers' backend endpoints, comma-separated as given (one broker: its endpoint) */
    public String backend() {
        return backends.text();
    }

    /** @return the brokers' heartbeat endpoints, comma-separated as given (one broker: its endpoint) */
    public String heartbeat() {
        return heartbeats.text();
    }

    /** @return the brokers' backend endpoints, one or more, in the order given */
    public List<String> backends() {
        return backends.endpoints();
    }

    /** @return the brokers' heartbeat endpoints, one for each of {@link #backends()}, in the same order */
    public List<String> heartbeats() {
        return heartbeats.endpoints();
    }

    /** @return the time between two beat checks (documented default 10 s) */
    public Duration pingDelay() {
        return pingDelay;
    }

    /** @return beat checks without a beat before the worker quits (documented default 3) */
    public int pingRetries() {
        return pingRetries;
    }

    /** @return the params handed to the handler */
    public Map<String, String> params() {
        return params;
    }

    /** @return how long a job may run before its stacks are logged and its result is not sent (7.5 s) */
    public Duration timeout() {
        return timeout;
    }

    /** @return the age after which the worker leaves, or null for never */
    public Duration maxAge() {
        return maxAge;
    }

    /** @return the largest random time added to {@link #maxAge()} */
    public Duration maxAgeDelta() {
        return maxAgeDelta;
    }

    /** @return how many jobs the worker runs at once (default 1) */
    public int capacity() {
        return capacity;
    }

    /**
     * @return how many jobs beyond {@link #capacity()} the worker accepts and queues while its slots are busy
     *     (default 32): the broker uses these only when every worker is busy, so a busy worker does not idle for a
     *     broker round trip between two jobs
     */
    public int prefetch() {
        return prefetch;
    }

    /** @return the time between two heartbeats the worker sends to the broker (default 1 s) */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** @return the largest job payload the worker runs, in bytes (default 16 MiB) */
    public long maxJobBytes() {
        return maxJobBytes;
    }

    /** @return where the worker's meters go (docs/OPERATIONS.md, "Metrics"), or null for none (the default) */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    /** @return the broker's public key, for CURVE; null for no security */
    public CurveCertificate curveServerKey() {
        return curveServerKey;
    }

    /** @return the worker's own CURVE key pair; null for none (a new one per connection when CURVE is on) */
    public CurveCertificate curveKey() {
        return curveKey;
    }

    /** Builds {@link WorkerOptions}; checks all settings together in {@link #build()}. Not thread safe. */
    public static final class Builder {
        private String target;
        private JobHandler handler;
        private String backend = BrokerOptions.DEFAULT_BACKEND;
        private String heartbeat = BrokerOptions.DEFAULT_HEARTBEAT;
        private Duration pingDelay = Defaults.PING_DELAY;
        private int pingRetries = Defaults.PING_RETRIES;
        private Map<String, String> params = Map.of();
        private Duration timeout = Defaults.RUN_LIMIT;
        private Duration maxAge;
        private Duration maxAgeDelta = Duration.ZERO;
        private int capacity = 1;
        private int prefetch = Defaults.PREFETCH;
        private Duration heartbeatInterval = Defaults.HEARTBEAT_INTERVAL;
        private long maxJobBytes = Defaults.MAX_JOB_BYTES;
        private MeterRegistry meterRegistry;
        private CurveCertificate curveServerKey;
        private CurveCertificate curveKey;

        private Builder() {
        }

        private Builder(WorkerOptions o) {
            target = o.target;
            handler = o.handler;
            backend = o.backends.text();
            heartbeat = o.heartbeats.text();
            pingDelay = o.pingDelay;
            pingRetries = o.pingRetries;
            params = o.params;
            timeout = o.timeout;
            maxAge = o.maxAge;
            maxAgeDelta = o.maxAgeDelta;
            capacity = o.capacity;
            prefetch = o.prefetch;
            heartbeatInterval = o.heartbeatInterval;
            maxJobBytes = o.maxJobBytes;
            meterRegistry = o.meterRegistry;
            curveServerKey = o.curveServerKey;
            curveKey = o.curveKey;
        }

        /**
         * Records the worker's metrics in a Micrometer registry: runs of the handler by outcome with their time, and
         * jobs that passed the timeout (docs/OPERATIONS.md, "Metrics"). Micrometer is an optional dependency of
         * powerhose-core: bring {@code io.micrometer:micrometer-core} to use this. Without a registry (the default)
         * nothing is recorded.
         *
         * @param registry the registry, or null for none
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /**
         * @param target a class implementing {@link JobHandler}, or {@code com.example.Echo::echo}
         * @return this builder
         */
        public Builder target(String target) {
            this.target = Objects.requireNonNull(target, "target");
            return this;
        }

        /**
         * @param handler the handler to run (instead of a target name)
         * @return this builder
         */
        public Builder handler(JobHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * @param endpoint the broker's backend, or several brokers' backends separated by commas
         * @return this builder
         */
        public Builder backend(String endpoint) {
            this.backend = Objects.requireNonNull(endpoint, "backend");
            return this;
        }

        /**
         * @param endpoint the broker's heartbeat, or several brokers' heartbeats separated by commas (one for each
         *                 backend, in the same order)
         * @return this builder
         */
        public Builder heartbeat(String endpoint) {
            this.heartbeat = Objects.requireNonNull(endpoint, "heartbeat");
            return this;
        }

        /**
         * @param delay time between two beat checks (default 10 s)
         * @return this builder
         */
        public Builder pingDelay(Duration delay) {
            this.pingDelay = Objects.requireNonNull(delay, "pingDelay");
            return this;
        }

        /**
         * @param retries beat checks without a beat before quitting (default 3)
         * @return this builder
         */
        public Builder pingRetries(int retries) {
            this.pingRetries = retries;
            return this;
        }

        /**
         * @param params params for the handler
         * @return this builder
         */
        public Builder params(Map<String, String> params) {
            this.params = Objects.requireNonNull(params, "params");
            return this;
        }

        /**
         * @param text params in the form {@code key:value|k2:v2}
         * @return this builder
         */
        public Builder params(String text) {
            this.params = Params.parse(text);
            return this;
        }

        /**
         * @param timeout how long a job may run (default 7.5 s)
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param maxAge age after which the worker leaves, or null for never (default never)
         * @return this builder
         */
        public Builder maxAge(Duration maxAge) {
            this.maxAge = maxAge;
            return this;
        }

        /**
         * @param delta largest random time added to max age (default 0)
         * @return this builder
         */
        public Builder maxAgeDelta(Duration delta) {
            this.maxAgeDelta = Objects.requireNonNull(delta, "maxAgeDelta");
            return this;
        }

        /**
         * @param jobs jobs at once (default 1)
         * @return this builder
         */
        public Builder capacity(int jobs) {
            this.capacity = jobs;
            return this;
        }

        /**
         * @param jobs most jobs beyond capacity to accept and queue while busy (default 32; 0 turns prefetch off); the
         *     broker queues no more than about 2 ms of the worker's work on it, so slow jobs get one, fast ones more
         * @return this builder
         */
        public Builder prefetch(int jobs) {
            this.prefetch = jobs;
            return this;
        }

        /**
         * @param interval time between two heartbeats to the broker (default 1 s)
         * @return this builder
         */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = Objects.requireNonNull(interval, "heartbeatInterval");
            return this;
        }

        /**
         * @param bytes the largest job payload to run (default 16 MiB)
         * @return this builder
         */
        public Builder maxJobBytes(long bytes) {
            this.maxJobBytes = bytes;
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
         * @param key the worker's key pair: its {@code NAME.key_secret} file (or the {@code NAME.key} next to it),
         *            read now; it must be readable by its owner only
         * @return this builder
         * @throws ConfigurationException naming the file when it cannot be read, is open to others, or has no
         *     secret key
         */
        public Builder curveKey(Path key) {
            return curveKey(CurveCertificate.loadSecret(Objects.requireNonNull(key, "curveKey")));
        }

        /**
         * @param key the worker's key pair, or null for a new one per connection (the default)
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
        public WorkerOptions build() {
            if ((target == null) == (handler == null)) {
                throw new ConfigurationException("set exactly one of target and handler (target=" + target + ")");
            }
            EndpointList.parse("backend", backend).checkPairsWith(EndpointList.parse("heartbeat", heartbeat));
            Settings.positive("pingDelay", pingDelay);
            Settings.positive("timeout", timeout);
            Settings.positive("heartbeatInterval", heartbeatInterval);
            Settings.notNegative("maxAgeDelta", maxAgeDelta);
            if (maxAge != null) {
                Settings.positive("maxAge", maxAge);
            }
            if (pingRetries < 1) {
                throw new ConfigurationException("pingRetries=" + pingRetries + " must be 1 or more");
            }
            if (capacity < 1 || capacity > Defaults.MAX_CAPACITY) {
                throw new ConfigurationException("capacity=" + capacity + " must be 1 to " + Defaults.MAX_CAPACITY);
            }
            if (maxJobBytes < 1) {
                throw new ConfigurationException("maxJobBytes=" + maxJobBytes + " must be 1 or more");
            }
            if (prefetch < 0 || prefetch > Defaults.MAX_PREFETCH) {
                throw new ConfigurationException("prefetch=" + prefetch + " must be 0 to " + Defaults.MAX_PREFETCH);
            }
            Settings.curveClient(curveServerKey, curveKey);
            return new WorkerOptions(this);
        }
    }
}
