package io.powerhose;

import io.micrometer.core.instrument.MeterRegistry;
import io.powerhose.internal.Defaults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings of a {@link Broker}: endpoints, timings and limits. Immutable; build with {@link #builder()}.
 * The defaults work for one machine: ipc endpoints in /tmp, a beat every second, a silent worker forgotten
 * after 3 s.
 *
 * <p>Security (docs/SECURITY.md): with {@code curveKey} (the broker's key pair) every socket is a CURVE server,
 * encrypted and authenticated; {@code allowClients} and {@code allowWorkers} are directories of public key files
 * naming who may connect to the frontend and to the backend and heartbeat (re-read by
 * {@link Broker#reloadAllowLists()} and when the directory changes); without a list, any CURVE key may connect
 * there. The ipc socket files the broker binds are readable and writable by their owner only, or by a group
 * ({@code ipcGroup}).
 */
public final class BrokerOptions {
    /** The documented default frontend endpoint. */
    public static final String DEFAULT_FRONTEND = Defaults.FRONTEND;
    /** The documented default backend endpoint. */
    public static final String DEFAULT_BACKEND = Defaults.BACKEND;
    /** The documented default heartbeat endpoint. */
    public static final String DEFAULT_HEARTBEAT = Defaults.BEAT;
    /**
     * What a frame may carry beyond the job or result limit before libzmq refuses it unread: a frame between the
     * limit and the limit plus this is read and answered ({@code TOO_LARGE} for a job).
     */
    public static final long FRAME_OVERHEAD_BYTES = 64 * 1024;
    /** The largest job or result limit: a Java array holds at most about 2 GiB, and a frame needs one. */
    public static final long MAX_FRAME_LIMIT_BYTES = Integer.MAX_VALUE - 16 - FRAME_OVERHEAD_BYTES;

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
    private final long maxReplyBytes;
    private final long maxQueuedBytes;
    private final int maxWorkerCapacity;
    private final int maxWorkerPrefetch;
    private final int frontendHwm;
    private final int backendHwm;
    private final MeterRegistry meterRegistry;
    private final CurveCertificate curveKey;
    private final Path allowClients;
    private final Path allowWorkers;
    private final String ipcGroup;
    private final boolean watchAllowLists;

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
        this.maxReplyBytes = b.maxReplyBytes;
        this.maxQueuedBytes = b.maxQueuedBytes;
        this.maxWorkerCapacity = b.maxWorkerCapacity;
        this.maxWorkerPrefetch = b.maxWorkerPrefetch;
        this.frontendHwm = b.frontendHwm;
        this.backendHwm = b.backendHwm;
        this.meterRegistry = b.meterRegistry;
        this.curveKey = b.curveKey;
        this.allowClients = b.allowClients;
        this.allowWorkers = b.allowWorkers;
        this.ipcGroup = b.ipcGroup;
        this.watchAllowLists = b.watchAllowLists;
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

    /** @return the largest result a worker may send back, in bytes */
    public long maxReplyBytes() {
        return maxReplyBytes;
    }

    /** @return how many payload bytes may wait in the broker's queue before new jobs are refused as busy */
    public long maxQueuedBytes() {
        return maxQueuedBytes;
    }

    /** @return the most jobs the broker runs at once on one worker, whatever capacity the worker claims */
    public int maxWorkerCapacity() {
        return maxWorkerCapacity;
    }

    /** @return the most jobs the broker queues on one worker beyond its capacity, whatever prefetch it claims */
    public int maxWorkerPrefetch() {
        return maxWorkerPrefetch;
    }

    /**
     * @return the high-water mark of each client connection, in messages, each way: past it, replies to a client
     *     that does not read are dropped (and counted), and a client that sends faster than the broker reads waits
     */
    public int frontendHwm() {
        return frontendHwm;
    }

    /**
     * @return the high-water mark of each worker connection, in messages, each way; it must exceed
     *     {@link #maxWorkerCapacity()} + {@link #maxWorkerPrefetch()}, so that only a worker that does not read
     *     reaches it
     */
    public int backendHwm() {
        return backendHwm;
    }

    /**
     * @return the largest frame the frontend reads: {@link #maxJobBytes()} plus {@value #FRAME_OVERHEAD_BYTES}
     *     bytes; libzmq drops the connection of a peer that sends a larger one, without reading it
     */
    public long frontendMaxFrameBytes() {
        return maxJobBytes + FRAME_OVERHEAD_BYTES;
    }

    /** @return the largest frame the backend reads: {@link #maxReplyBytes()} plus {@value #FRAME_OVERHEAD_BYTES} */
    public long backendMaxFrameBytes() {
        return maxReplyBytes + FRAME_OVERHEAD_BYTES;
    }

    /**
     * @return where the broker's meters go (docs/OPERATIONS.md, "Metrics"), or null for none (the default)
     */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    /** @return the broker's CURVE key pair; null when the broker runs without security (the NULL mechanism) */
    public CurveCertificate curveKey() {
        return curveKey;
    }

    /** @return the directory of the public keys of the clients allowed on the frontend; null for any CURVE key */
    public Path allowClients() {
        return allowClients;
    }

    /**
     * @return the directory of the public keys of the workers allowed on the backend and heartbeat; null for any
     *     CURVE key
     */
    public Path allowWorkers() {
        return allowWorkers;
    }

    /**
     * @return the group that may use the broker's ipc socket files (mode 0660), or null for their owner only
     *     (mode 0600)
     */
    public String ipcGroup() {
        return ipcGroup;
    }

    /**
     * @return true when the allow-list directories are re-read as soon as they change (the default); false when
     *     only {@link Broker#reloadAllowLists()} (SIGHUP in {@code powerhose-broker}) re-reads them
     */
    public boolean watchAllowLists() {
        return watchAllowLists;
    }

    @Override
    public String toString() {
        return "BrokerOptions{frontend=" + frontend + ", backend=" + backend + ", heartbeat=" + heartbeat
            + ", heartbeatInterval=" + heartbeatInterval + ", liveness=" + liveness + ", noWorkerGrace=" + noWorkerGrace
            + ", maxQueuedJobs=" + maxQueuedJobs + ", maxQueuedBytes=" + maxQueuedBytes + ", maxJobBytes=" + maxJobBytes
            + ", maxReplyBytes=" + maxReplyBytes
            + ", maxWorkerCapacity=" + maxWorkerCapacity + ", maxWorkerPrefetch=" + maxWorkerPrefetch
            + ", frontendHwm=" + frontendHwm + ", backendHwm=" + backendHwm
            + ", curveKey=" + (curveKey == null ? "none" : curveKey.publicKey()) + ", allowClients=" + allowClients
            + ", allowWorkers=" + allowWorkers + ", ipcGroup=" + ipcGroup + ", watchAllowLists=" + watchAllowLists
            + "}";
    }

    /** Builds {@link BrokerOptions}; checks all settings together in {@link #build()}. Not thread safe. */
    public static final class Builder {
        private String frontend = DEFAULT_FRONTEND;
        private String backend = DEFAULT_BACKEND;
        private String heartbeat = DEFAULT_HEARTBEAT;
        private Duration heartbeatInterval = Defaults.HEARTBEAT_INTERVAL;
        private int liveness = Defaults.LIVENESS;
        private Duration noWorkerGrace = Defaults.NO_WORKER_GRACE;
        private int maxQueuedJobs = Defaults.MAX_QUEUED_JOBS;
        private long maxJobBytes = Defaults.MAX_JOB_BYTES;
        private Duration legacyTimeout = Defaults.LEGACY_WAIT_LIMIT;
        private Duration drainTimeout = Duration.ofSeconds(5);
        private long maxReplyBytes = Defaults.MAX_REPLY_BYTES;
        private long maxQueuedBytes = Defaults.MAX_QUEUED_BYTES;
        private int maxWorkerCapacity = Defaults.MAX_CAPACITY;
        private int maxWorkerPrefetch = Defaults.MAX_PREFETCH;
        private int frontendHwm = Defaults.BROKER_HWM;
        private int backendHwm = Defaults.BROKER_HWM;
        private MeterRegistry meterRegistry;
        private CurveCertificate curveKey;
        private Path allowClients;
        private Path allowWorkers;
        private String ipcGroup;
        private boolean watchAllowLists = true;

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
            maxReplyBytes = o.maxReplyBytes;
            maxQueuedBytes = o.maxQueuedBytes;
            maxWorkerCapacity = o.maxWorkerCapacity;
            maxWorkerPrefetch = o.maxWorkerPrefetch;
            frontendHwm = o.frontendHwm;
            backendHwm = o.backendHwm;
            meterRegistry = o.meterRegistry;
            curveKey = o.curveKey;
            allowClients = o.allowClients;
            allowWorkers = o.allowWorkers;
            ipcGroup = o.ipcGroup;
            watchAllowLists = o.watchAllowLists;
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
         * @param bytes largest result a worker may send back (default 64 MiB); a larger one fails its job
         * @return this builder
         */
        public Builder maxReplyBytes(long bytes) {
            this.maxReplyBytes = bytes;
            return this;
        }

        /**
         * @param bytes how many payload bytes may wait in the queue (default 256 MiB); past it jobs are refused
         *     as busy, as past {@link #maxQueuedJobs(int)}
         * @return this builder
         */
        public Builder maxQueuedBytes(long bytes) {
            this.maxQueuedBytes = bytes;
            return this;
        }

        /**
         * @param jobs the most jobs run at once on one worker (default 1024); a worker claiming more is clamped
         * @return this builder
         */
        public Builder maxWorkerCapacity(int jobs) {
            this.maxWorkerCapacity = jobs;
            return this;
        }

        /**
         * @param jobs the most jobs queued on one worker beyond its capacity (default 1024); a worker claiming
         *     more is clamped
         * @return this builder
         */
        public Builder maxWorkerPrefetch(int jobs) {
            this.maxWorkerPrefetch = jobs;
            return this;
        }

        /**
         * @param messages high-water mark of each client connection, each way (default 10,000)
         * @return this builder
         */
        public Builder frontendHwm(int messages) {
            this.frontendHwm = messages;
            return this;
        }

        /**
         * @param messages high-water mark of each worker connection, each way (default 10,000)
         * @return this builder
         */
        public Builder backendHwm(int messages) {
            this.backendHwm = messages;
            return this;
        }

        /**
         * Records the broker's metrics in a Micrometer registry: jobs by outcome, queue and in-flight gauges, queue
         * wait and service timers, workers by state and language, per-worker jobs (docs/OPERATIONS.md, "Metrics").
         * Micrometer is an optional dependency of powerhose-core: bring {@code io.micrometer:micrometer-core} (and
         * the registry you publish with) to use this. Without a registry (the default) nothing is recorded and no
         * Micrometer class is loaded.
         *
         * @param registry the registry, or null for none
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /**
         * @param secretKey the broker's key pair: its {@code NAME.key_secret} file (readable by its owner only),
         *                  read now; turns CURVE on for the frontend, the backend and the heartbeat
         * @return this builder
         * @throws ConfigurationException naming the file when it cannot be read, is open to others, or has no
         *     secret key
         */
        public Builder curveSecretKey(Path secretKey) {
            return curveKey(CurveCertificate.loadSecret(Objects.requireNonNull(secretKey, "curveSecretKey")));
        }

        /**
         * @param key the broker's CURVE key pair, or null for no security (the default)
         * @return this builder
         */
        public Builder curveKey(CurveCertificate key) {
            this.curveKey = key;
            return this;
        }

        /**
         * @param dir a directory of public key files ({@code *.key}) of the clients allowed on the frontend, or
         *            null for any CURVE key (the default); needs {@link #curveKey}
         * @return this builder
         */
        public Builder allowClients(Path dir) {
            this.allowClients = dir;
            return this;
        }

        /**
         * @param dir a directory of public key files ({@code *.key}) of the workers allowed on the backend and the
         *            heartbeat, or null for any CURVE key (the default); needs {@link #curveKey}
         * @return this builder
         */
        public Builder allowWorkers(Path dir) {
            this.allowWorkers = dir;
            return this;
        }

        /**
         * @param group a group whose members may use the ipc socket files too (mode 0660), or null for their owner
         *              only (mode 0600, the default); the broker's user must be a member
         * @return this builder
         */
        public Builder ipcGroup(String group) {
            this.ipcGroup = group;
            return this;
        }

        /**
         * @param watch true to re-read the allow-list directories as soon as they change (the default); false to
         *              re-read them only on {@link Broker#reloadAllowLists()} (SIGHUP in {@code powerhose-broker}),
         *              for deployments that change several files and then say when they are done
         * @return this builder
         */
        public Builder watchAllowLists(boolean watch) {
            this.watchAllowLists = watch;
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
            if (maxJobBytes < 1 || maxJobBytes > MAX_FRAME_LIMIT_BYTES) {
                throw new ConfigurationException("maxJobBytes=" + maxJobBytes + " must be 1 to "
                    + MAX_FRAME_LIMIT_BYTES);
            }
            if (maxReplyBytes < 1 || maxReplyBytes > MAX_FRAME_LIMIT_BYTES) {
                throw new ConfigurationException("maxReplyBytes=" + maxReplyBytes + " must be 1 to "
                    + MAX_FRAME_LIMIT_BYTES);
            }
            if (maxQueuedBytes < 0) {
                throw new ConfigurationException("maxQueuedBytes=" + maxQueuedBytes + " must be 0 or more");
            }
            if (maxWorkerCapacity < 1) {
                throw new ConfigurationException("maxWorkerCapacity=" + maxWorkerCapacity + " must be 1 or more");
            }
            if (maxWorkerPrefetch < 0) {
                throw new ConfigurationException("maxWorkerPrefetch=" + maxWorkerPrefetch + " must be 0 or more");
            }
            if (frontendHwm < 1) {
                throw new ConfigurationException("frontendHwm=" + frontendHwm + " must be 1 or more");
            }
            if ((long) backendHwm <= (long) maxWorkerCapacity + maxWorkerPrefetch) {
                throw new ConfigurationException("backendHwm=" + backendHwm + " must exceed maxWorkerCapacity="
                    + maxWorkerCapacity + " + maxWorkerPrefetch=" + maxWorkerPrefetch
                    + ", so that only a worker that does not read reaches it");
            }
            Settings.endpoint("frontend", frontend);
            Settings.endpoint("backend", backend);
            Settings.endpoint("heartbeat", heartbeat);
            if (same(frontend, backend) || same(frontend, heartbeat) || same(backend, heartbeat)) {
                throw new ConfigurationException("frontend=" + frontend + ", backend=" + backend + " and heartbeat="
                    + heartbeat + " must be three different endpoints");
            }
            checkSecurity();
            return new BrokerOptions(this);
        }

        /** Two endpoints that would clash; a tcp port given as {@code *} is chosen by the system at each bind. */
        private static boolean same(String a, String b) {
            return a.equals(b) && !a.endsWith(":*");
        }

        private void checkSecurity() {
            if (curveKey != null && !curveKey.hasSecretKey()) {
                throw new ConfigurationException("curveKey=" + curveKey + " holds no secret key: the broker needs its "
                    + "NAME.key_secret file (--curve-secret-key)");
            }
            for (String name : new String[] {"allowClients", "allowWorkers"}) {
                Path dir = name.equals("allowClients") ? allowClients : allowWorkers;
                if (dir == null) {
                    continue;
                }
                if (curveKey == null) {
                    throw new ConfigurationException(name + "=" + dir + " needs CURVE: give the broker its key "
                        + "(--curve-secret-key)");
                }
                if (!Files.isDirectory(dir)) {
                    throw new ConfigurationException(name + "=" + dir + ": not a directory of public key files");
                }
            }
            if (ipcGroup != null && ipcGroup.isBlank()) {
                throw new ConfigurationException("ipcGroup='" + ipcGroup + "' is not a group name");
            }
        }
    }
}
