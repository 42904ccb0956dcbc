package io.powerhose;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of a {@link Broker}: endpoints, timings and limits. Immutable; build with {@link #builder()}.
 * The defaults work for one machine: ipc endpoints in /tmp, a beat every second, a silent worker forgotten
 * after 3 s.
 */
public final class BrokerOptions {
    /** The documented default frontend endpoint. */
    public static final String DEFAULT_FRONTEND = "ipc:///tmp/powerhose-front.ipc";
    /** The documented default backend endpoint. */
    public static final String DEFAULT_BACKEND = "ipc:///tmp/powerhose-back.ipc";
    /** The documented default heartbeat endpoint. */
    public static final String DEFAULT_HEARTBEAT = "ipc:///tmp/powerhose-beat.ipc";

    private final String frontend;
    private final String backend;
    private final String heartbeat;
    private final Duration heartbeatInterval;
    private final int liveness;
    private final Duration noWorkerGrace;
    private final int maxQueuedJobs;
    private final long maxJobBytes;
    private final Duration legacyTimeout;
    private final Duration drainTimeout;

    private BrokerOptions(Builder b) {
        this.frontend = b.frontend;
        this.backend = b.backend;
        this.heartbeat = b.heartbeat;
        this.heartbeatInterval = b.heartbeatInterval;
        this.liveness = b.liveness;
        this.noWorkerGrace = b.noWorkerGrace;
        this.maxQueuedJobs = b.maxQueuedJobs;
        this.maxJobBytes = b.maxJobBytes;
        this.legacyTimeout = b.legacyTimeout;
        this.drainTimeout = b.drainTimeout;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder that starts from these settings */
    public Builder newBuilder() {
        return new Builder(this);
    }

    /** @return the endpoint clients connect to */
    public String frontend() {
        return frontend;
    }

    /** @return the endpoint workers connect to */
    public String backend() {
        return backend;
    }

    /** @return the endpoint the beat is published on */
    public String heartbeat() {
        return heartbeat;
    }

    /** @return the time between two beats, and the unit of {@link #liveness()} */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** @return how many heartbeat intervals of silence make a worker lost */
    public int liveness() {
        return liveness;
    }

    /** @return how long a job waits for a worker when none is registered */
    public Duration noWorkerGrace() {
        return noWorkerGrace;
    }

    /** @return how many jobs may wait for a free worker before new ones are refused as busy */
    public int maxQueuedJobs() {
        return maxQueuedJobs;
    }

    /** @return the largest job payload accepted, in bytes */
    public long maxJobBytes() {
        return maxJobBytes;
    }

    /** @return the timeout given to jobs from Powerhose 0.x clients, which send none */
    public Duration legacyTimeout() {
        return legacyTimeout;
    }

    /** @return how long {@link Broker#close()} waits for running jobs to finish */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    @Override
    public String toString() {
        return "BrokerOptions{frontend=" + frontend + ", backend=" + backend + ", heartbeat=" + heartbeat
            + ", heartbeatInterval=" + heartbeatInterval + ", liveness=" + liveness + ", noWorkerGrace=" + noWorkerGrace
            + ", maxQueuedJobs=" + maxQueuedJobs + ", maxJobBytes=" + maxJobBytes + "}";
    }

    /** Builds {@link BrokerOptions}; checks all settings together in {@link #build()}. Not thread safe. */
    public static final class Builder {
        private String frontend = DEFAULT_FRONTEND;
        private String backend = DEFAULT_BACKEND;
        private String heartbeat = DEFAULT_HEARTBEAT;
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private int liveness = 3;
        private Duration noWorkerGrace = Duration.ofSeconds(1);
        private int maxQueuedJobs = 10_000;
        private long maxJobBytes = 16L << 20;
        private Duration legacyTimeout = Duration.ofMillis(7500);
        private Duration drainTimeout = Duration.ofSeconds(5);

        private Builder() {
        }

        private Builder(BrokerOptions o) {
            frontend = o.frontend;
            backend = o.backend;
            heartbeat = o.heartbeat;
            heartbeatInterval = o.heartbeatInterval;
            liveness = o.liveness;
            noWorkerGrace = o.noWorkerGrace;
            maxQueuedJobs = o.maxQueuedJobs;
            maxJobBytes = o.maxJobBytes;
            legacyTimeout = o.legacyTimeout;
            drainTimeout = o.drainTimeout;
        }

        /**
         * @param endpoint the frontend endpoint, e.g. {@code tcp://0.0.0.0:5555}
         * @return this builder
         */
        public Builder frontend(String endpoint) {
            this.frontend = Objects.requireNonNull(endpoint, "frontend");
            return this;
        }

        /**
         * @param endpoint the backend endpoint
         * @return this builder
         */
        public Builder backend(String endpoint) {
            this.backend = Objects.requireNonNull(endpoint, "backend");
            return this;
        }

        /**
         * @param endpoint the heartbeat endpoint
         * @return this builder
         */
        public Builder heartbeat(String endpoint) {
            this.heartbeat = Objects.requireNonNull(endpoint, "heartbeat");
            return this;
        }

        /**
         * @param interval time between two beats (default 1 s)
         * @return this builder
         */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = Objects.requireNonNull(interval, "heartbeatInterval");
            return this;
        }

        /**
         * @param intervals heartbeat intervals of silence after which a worker is lost (default 3)
         * @return this builder
         */
        public Builder liveness(int intervals) {
            this.liveness = intervals;
            return this;
        }

        /**
         * @param grace how long a job waits for a worker when none is registered (default 1 s)
         * @return this builder
         */
        public Builder noWorkerGrace(Duration grace) {
            this.noWorkerGrace = Objects.requireNonNull(grace, "noWorkerGrace");
            return this;
        }

        /**
         * @param jobs queue bound (default 10,000)
         * @return this builder
         */
        public Builder maxQueuedJobs(int jobs) {
            this.maxQueuedJobs = jobs;
            return this;
        }

        /**
         * @param bytes largest job payload (default 16 MiB)
         * @return this builder
         */
        public Builder maxJobBytes(long bytes) {
            this.maxJobBytes = bytes;
            return this;
        }

        /**
         * @param timeout timeout for jobs from 0.x clients (default 7.5 s)
         * @return this builder
         */
        public Builder legacyTimeout(Duration timeout) {
            this.legacyTimeout = Objects.requireNonNull(timeout, "legacyTimeout");
            return this;
        }

        /**
         * @param timeout how long closing waits for running jobs (default 5 s)
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Objects.requireNonNull(timeout, "drainTimeout");
            return this;
        }

        /**
         * Checks the settings together and builds them.
         *
         * @return the options
         * @throws ConfigurationException naming the setting and its value when one is invalid
         */
        public BrokerOptions build() {
            Settings.positive("heartbeatInterval", heartbeatInterval);
            Settings.notNegative("noWorkerGrace", noWorkerGrace);
            Settings.positive("legacyTimeout", legacyTimeout);
            Settings.notNegative("drainTimeout", drainTimeout);
            if (liveness < 1) {
                throw new ConfigurationException("liveness=" + liveness + " must be 1 or more");
            }
            if (maxQueuedJobs < 0) {
                throw new ConfigurationException("maxQueuedJobs=" + maxQueuedJobs + " must be 0 or more");
            }
            if (maxJobBytes < 1) {
                throw new ConfigurationException("maxJobBytes=" + maxJobBytes + " must be 1 or more");
            }
            Settings.endpoint("frontend", frontend);
            Settings.endpoint("backend", backend);
            Settings.endpoint("heartbeat", heartbeat);
            if (frontend.equals(backend) || frontend.equals(heartbeat) || backend.equals(heartbeat)) {
                throw new ConfigurationException("frontend=" + frontend + ", backend=" + backend + " and heartbeat="
                    + heartbeat + " must be three different endpoints");
            }
            return new BrokerOptions(this);
        }
    }
}
