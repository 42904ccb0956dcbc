package io.powerhose;

import io.micrometer.core.instrument.MeterRegistry;
import io.powerhose.internal.Defaults;
import io.powerhose.internal.EndpointList;
import io.powerhose.internal.broker.AllowList;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a {@link Cluster}: the documented {@code get_cluster} options and defaults, plus what a
 * supervisor needs (worker command lines for other languages, respawn limits, the stop grace). Immutable;
 * build with {@link #builder(String)} or {@link #builderForCommand(List)}.
 */
public final class ClusterOptions {
    private final String target;
    private final List<String> workerCommand;
    private final int numProcesses;
    private final BrokerOptions broker;
    private final Path workingDir;
    private final String logfile;
    private final boolean debug;
    private final boolean background;
    private final Map<String, String> workerParams;
    private final Duration timeout;
    private final Duration maxAge;
    private final Duration maxAgeDelta;
    private final List<String> workerJvmOptions;
    private final List<String> workerClassPath;
    private final Duration stopGrace;
    private final int maxQuickDeaths;
    private final Duration quickDeath;
    private final boolean noBroker;
    private final String workerBackend;
    private final String workerHeartbeat;
    private final CurveCertificate workerCurveKey;
    private final Path brokerPublicKeyFile;

    private ClusterOptions(Builder b, BrokerOptions broker, Path brokerPublicKeyFile) {
        this.target = b.target;
        this.workerCommand = b.workerCommand == null ? null : List.copyOf(b.workerCommand);
        this.numProcesses = b.numProcesses;
        this.broker = broker;
        this.workerCurveKey = b.workerCurveKey;
        this.brokerPublicKeyFile = brokerPublicKeyFile;
        this.workingDir = b.workingDir;
        this.logfile = b.logfile;
        this.debug = b.debug;
        this.background = b.background;
        this.workerParams = Map.copyOf(b.workerParams);
        this.timeout = b.timeout;
        this.maxAge = b.maxAge;
        this.maxAgeDelta = b.maxAgeDelta;
        this.workerJvmOptions = List.copyOf(b.workerJvmOptions);
        this.workerClassPath = b.workerClassPath == null ? null : List.copyOf(b.workerClassPath);
        this.stopGrace = b.stopGrace;
        this.maxQuickDeaths = b.maxQuickDeaths;
        this.quickDeath = b.quickDeath;
        this.noBroker = b.remoteBackends != null;
        this.workerBackend = noBroker ? b.remoteBackends.text() : broker.backend();
        this.workerHeartbeat = noBroker ? b.remoteHeartbeats.text() : broker.heartbeat();
    }

    /**
     * A builder for a cluster of Java workers running a target.
     *
     * @param target a class implementing {@link JobHandler}, or {@code com.example.Echo::echo}
     * @return the builder
     */
    public static Builder builder(String target) {
        return new Builder(Objects.requireNonNull(target, "target"), null);
    }

    /**
     * A builder for a cluster of workers in another language: each worker runs this command line, to which the
     * cluster appends {@code --backend B --heartbeat H --timeout T} (and {@code --max-age}, {@code --max-age-delta},
     * {@code --params} when set), the options of {@code powerhose-worker}.
     *
     * @param command the program and its first arguments, e.g. {@code ["native/build/powerhose-worker-square"]}
     * @return the builder
     */
    public static Builder builderForCommand(List<String> command) {
        if (command.isEmpty()) {
            throw new ConfigurationException("workerCommand must not be empty");
        }
        return new Builder(null, command);
    }

    /** @return the Java target, or null for a command-line worker */
    public String target() {
        return target;
    }

    /** @return the worker command line, or null for Java workers */
    public List<String> workerCommand() {
        return workerCommand;
    }

    /** @return the number of worker processes (documented default 5) */
    public int numProcesses() {
        return numProcesses;
    }

    /**
     * @return whether the cluster runs workers only, connected to brokers that run elsewhere
     *     ({@link Builder#noBroker})
     */
    public boolean noBroker() {
        return noBroker;
    }

    /**
     * @return where the workers connect: the broker's backend, or with {@link Builder#noBroker} the remote
     *     brokers' backends (comma-separated)
     */
    public String workerBackend() {
        return workerBackend;
    }

    /**
     * @return where the workers hear the heartbeat: the broker's, or with {@link Builder#noBroker} the remote
     *     brokers' (comma-separated, in the order of {@link #workerBackend()})
     */
    public String workerHeartbeat() {
        return workerHeartbeat;
    }

    /** @return the broker's settings, endpoints included */
    public BrokerOptions broker() {
        return broker;
    }

    /** @return the workers' working directory (default ".") */
    public Path workingDir() {
        return workingDir;
    }

    /** @return "stdout", or the file the cluster logs to (each worker then logs to {@code FILE.worker-N}) */
    public String logfile() {
        return logfile;
    }

    /** @return whether workers log at DEBUG level */
    public boolean debug() {
        return debug;
    }

    /** @return whether {@link Cluster#start(ClusterOptions)} returns once the cluster is up (else: at its stop) */
    public boolean background() {
        return background;
    }

    /** @return the params handed to every worker */
    public Map<String, String> workerParams() {
        return workerParams;
    }

    /** @return the workers' job timeout (default 7.5 s) */
    public Duration timeout() {
        return timeout;
    }

    /** @return the workers' max age, or null for never */
    public Duration maxAge() {
        return maxAge;
    }

    /** @return the largest random time added to the max age */
    public Duration maxAgeDelta() {
        return maxAgeDelta;
    }

    /** @return extra JVM options for Java workers */
    public List<String> workerJvmOptions() {
        return workerJvmOptions;
    }

    /**
     * @return the Java workers' class path as set with {@link Builder#workerClassPath}, or null when the cluster
     *     works it out from the classes this JVM loaded (see {@link Cluster})
     */
    public List<String> workerClassPath() {
        return workerClassPath;
    }

    /** @return how long {@link Cluster#stop()} lets running jobs and workers finish before killing */
    public Duration stopGrace() {
        return stopGrace;
    }

    /** @return how many quick deaths in a row of one worker slot stop its respawning */
    public int maxQuickDeaths() {
        return maxQuickDeaths;
    }

    /** @return a worker that exits sooner than this after starting died "quickly" */
    public Duration quickDeath() {
        return quickDeath;
    }

    /** Where workers connect, a wildcard address names no host. */
    private static EndpointList connectable(String name, String endpoints) {
        EndpointList list = EndpointList.parse(name, endpoints);
        for (String endpoint : list.endpoints()) {
            if (endpoint.startsWith("tcp://*") || endpoint.startsWith("tcp://0.0.0.0")) {
                throw new ConfigurationException(name + "=" + endpoint + ": with noBroker the workers connect there, "
                    + "so it must name the broker's host (e.g. tcp://broker.example:5556), not a wildcard");
            }
        }
        return list;
    }

    /** @return the workers' CURVE key pair (read from a file, whose path the workers get), or null */
    public CurveCertificate workerCurveKey() {
        return workerCurveKey;
    }

    /**
     * @return the broker's public key file that the workers get as {@code --curve-server-key} ({@code NAME.key} next
     *     to the broker's {@code NAME.key_secret}), or null without CURVE
     */
    public Path brokerPublicKeyFile() {
        return brokerPublicKeyFile;
    }

    /** Builds {@link ClusterOptions}. Not thread safe. */
    public static final class Builder {
        private final String target;
        private final List<String> workerCommand;
        private int numProcesses = 5;
        private BrokerOptions.Builder broker = BrokerOptions.builder();
        private Path workingDir = Path.of(".");
        private String logfile = "stdout";
        private boolean debug;
        private boolean background;
        private Map<String, String> workerParams = Map.of();
        private Duration timeout = Defaults.RUN_LIMIT;
        private Duration maxAge;
        private Duration maxAgeDelta = Duration.ZERO;
        private List<String> workerJvmOptions = List.of();
        private List<String> workerClassPath;
        private Duration stopGrace = Duration.ofSeconds(10);
        private int maxQuickDeaths = 5;
        private Duration quickDeath = Duration.ofSeconds(5);
        private String noBrokerBackends;
        private String noBrokerHeartbeats;
        private EndpointList remoteBackends;
        private EndpointList remoteHeartbeats;
        private CurveCertificate workerCurveKey;

        private Builder(String target, List<String> workerCommand) {
            this.target = target;
            this.workerCommand = workerCommand;
        }

        /**
         * @param count number of worker processes (default 5)
         * @return this builder
         */
        public Builder numProcesses(int count) {
            this.numProcesses = count;
            return this;
        }

        /**
         * @param endpoint the broker's frontend
         * @return this builder
         */
        public Builder frontend(String endpoint) {
            broker.frontend(endpoint);
            return this;
        }

        /**
         * @param endpoint the broker's backend
         * @return this builder
         */
        public Builder backend(String endpoint) {
            broker.backend(endpoint);
            return this;
        }

        /**
         * @param endpoint the broker's heartbeat
         * @return this builder
         */
        public Builder heartbeat(String endpoint) {
            broker.heartbeat(endpoint);
            return this;
        }

        /**
         * Records the cluster's metrics in a Micrometer registry: the broker's (as
         * {@link BrokerOptions.Builder#meterRegistry}) and the workers' restarts (docs/OPERATIONS.md, "Metrics").
         * The worker processes record nothing: they are other JVMs. Without a registry (the default) nothing is
         * recorded.
         *
         * @param registry the registry, or null for none
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            broker.meterRegistry(registry);
            return this;
        }

        /**
         * @param options all broker settings (endpoints included), replacing those set so far
         * @return this builder
         */
        public Builder broker(BrokerOptions options) {
            this.broker = options.newBuilder();
            return this;
        }

        /**
         * Runs workers only, for a worker host: no broker starts; the workers connect to the broker whose backend
         * and heartbeat are given, on another host, are respawned with the usual backoff when they exit (a worker
         * that loses the broker's beat exits), and rejoin as soon as that broker can be reached again. Several
         * brokers are given as comma-separated lists, heartbeats in the order of the backends, for workers that
         * take several. The broker settings ({@link #frontend}, {@link #broker}) are then not used.
         *
         * @param backends the remote broker's backend, e.g. {@code tcp://broker.example:5556}
         * @param heartbeats the remote broker's heartbeat, e.g. {@code tcp://broker.example:5557}
         * @return this builder
         */
        public Builder noBroker(String backends, String heartbeats) {
            this.noBrokerBackends = Objects.requireNonNull(backends, "backends");
            this.noBrokerHeartbeats = Objects.requireNonNull(heartbeats, "heartbeats");
            return this;
        }

        /**
         * @param dir the workers' working directory
         * @return this builder
         */
        public Builder workingDir(Path dir) {
            this.workingDir = Objects.requireNonNull(dir, "workingDir");
            return this;
        }

        /**
         * @param logfile "stdout" or a file path
         * @return this builder
         */
        public Builder logfile(String logfile) {
            this.logfile = Objects.requireNonNull(logfile, "logfile");
            return this;
        }

        /**
         * @param debug DEBUG level for the workers' logs
         * @return this builder
         */
        public Builder debug(boolean debug) {
            this.debug = debug;
            return this;
        }

        /**
         * @param background true to return from {@link Cluster#start(ClusterOptions)} once up
         * @return this builder
         */
        public Builder background(boolean background) {
            this.background = background;
            return this;
        }

        /**
         * @param params params for every worker
         * @return this builder
         */
        public Builder workerParams(Map<String, String> params) {
            this.workerParams = Objects.requireNonNull(params, "workerParams");
            return this;
        }

        /**
         * @param timeout the workers' job timeout
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param maxAge the workers' max age, or null for never
         * @return this builder
         */
        public Builder maxAge(Duration maxAge) {
            this.maxAge = maxAge;
            return this;
        }

        /**
         * @param delta largest random time added to the max age
         * @return this builder
         */
        public Builder maxAgeDelta(Duration delta) {
            this.maxAgeDelta = Objects.requireNonNull(delta, "maxAgeDelta");
            return this;
        }

        /**
         * @param options extra JVM options for Java workers, e.g. {@code -Xmx512m}
         * @return this builder
         */
        public Builder workerJvmOptions(List<String> options) {
            this.workerJvmOptions = Objects.requireNonNull(options, "workerJvmOptions");
            return this;
        }

        /**
         * Sets the Java workers' class path instead of the one {@link Cluster} works out from the classes this JVM
         * loaded: for launchers whose class loaders hold jars that a child JVM cannot use (jars nested in jars).
         * It must hold the target, this library, jzmq, slf4j-api and an slf4j binding.
         *
         * @param entries jars and class folders, in order
         * @return this builder
         */
        public Builder workerClassPath(List<String> entries) {
            this.workerClassPath = List.copyOf(Objects.requireNonNull(entries, "workerClassPath"));
            return this;
        }

        /**
         * @param grace how long stopping waits for running jobs and for workers to exit (default 10 s)
         * @return this builder
         */
        public Builder stopGrace(Duration grace) {
            this.stopGrace = Objects.requireNonNull(grace, "stopGrace");
            return this;
        }

        /**
         * @param deaths quick deaths in a row after which a worker slot is not respawned (default 5)
         * @param within a worker exiting sooner than this after its start died quickly (default 5 s)
         * @return this builder
         */
        public Builder respawnLimit(int deaths, Duration within) {
            this.maxQuickDeaths = deaths;
            this.quickDeath = Objects.requireNonNull(within, "within");
            return this;
        }

        /**
         * @param secretKey the broker's key pair, its {@code NAME.key_secret} file: turns CURVE on; the workers get
         *                  the {@code NAME.key} next to it as their server key
         * @return this builder
         * @see BrokerOptions.Builder#curveSecretKey(Path)
         */
        public Builder curveSecretKey(Path secretKey) {
            broker.curveSecretKey(secretKey);
            return this;
        }

        /**
         * @param dir the directory of the allowed clients' public keys
         * @return this builder
         * @see BrokerOptions.Builder#allowClients(Path)
         */
        public Builder allowClients(Path dir) {
            broker.allowClients(dir);
            return this;
        }

        /**
         * @param dir the directory of the allowed workers' public keys; it must hold {@link #workerCurveKey}'s
         * @return this builder
         * @see BrokerOptions.Builder#allowWorkers(Path)
         */
        public Builder allowWorkers(Path dir) {
            broker.allowWorkers(dir);
            return this;
        }

        /**
         * @param group the group that may use the broker's ipc socket files too, or null for their owner only
         * @return this builder
         * @see BrokerOptions.Builder#ipcGroup(String)
         */
        public Builder ipcGroup(String group) {
            broker.ipcGroup(group);
            return this;
        }

        /**
         * @param watch false to re-read the allow-lists only on {@link Broker#reloadAllowLists()} (SIGHUP in
         *              {@code powerhose}); true (the default) to re-read them also as soon as they change
         * @return this builder
         * @see BrokerOptions.Builder#watchAllowLists(boolean)
         */
        public Builder watchAllowLists(boolean watch) {
            broker.watchAllowLists(watch);
            return this;
        }

        /**
         * @param key the workers' key pair, its {@code NAME.key_secret} file (read now; its path is given to each
         *            worker as {@code --curve-key}); without it, each worker makes a key per connection, which a
         *            broker with an allow-list of workers refuses
         * @return this builder
         */
        public Builder workerCurveKey(Path key) {
            this.workerCurveKey = CurveCertificate.loadSecret(Objects.requireNonNull(key, "workerCurveKey"));
            return this;
        }

        /**
         * Checks the settings and builds them.
         *
         * @return the options
         */
        public ClusterOptions build() {
            if (numProcesses < 0) {
                throw new ConfigurationException("numProcesses=" + numProcesses + " must be 0 or more");
            }
            if (maxQuickDeaths < 1) {
                throw new ConfigurationException("maxQuickDeaths=" + maxQuickDeaths + " must be 1 or more");
            }
            Settings.positive("timeout", timeout);
            Settings.notNegative("stopGrace", stopGrace);
            Settings.notNegative("maxAgeDelta", maxAgeDelta);
            if (maxAge != null) {
                Settings.positive("maxAge", maxAge);
            }
            remoteBackends = null;
            remoteHeartbeats = null;
            if (noBrokerBackends != null) {
                EndpointList backends = connectable("backend", noBrokerBackends);
                EndpointList heartbeats = connectable("heartbeat", noBrokerHeartbeats);
                backends.checkPairsWith(heartbeats);
                remoteBackends = backends;
                remoteHeartbeats = heartbeats;
            }
            BrokerOptions brokerOptions = broker.build();
            return new ClusterOptions(this, brokerOptions, checkCurve(brokerOptions));
        }

        /** The workers' keys must let them in: files to pass on, and a key the workers' allow-list holds. */
        private Path checkCurve(BrokerOptions brokerOptions) {
            CurveCertificate brokerKey = brokerOptions.curveKey();
            if (brokerKey == null) {
                if (workerCurveKey != null) {
                    throw new ConfigurationException("workerCurveKey=" + workerCurveKey.file() + " without a broker "
                        + "key: give the broker its key too (curveSecretKey)");
                }
                return null;
            }
            Path secretFile = brokerKey.file();
            String name = secretFile == null ? "" : secretFile.getFileName().toString();
            if (!name.endsWith(CurveCertificate.SECRET_SUFFIX)) {
                throw new ConfigurationException("the broker's key " + (secretFile == null ? "was not read from a "
                    + "file" : "is " + secretFile + ", not a NAME.key_secret file") + ": a cluster gives its workers "
                    + "the NAME.key file next to it");
            }
            Path publicFile = secretFile.resolveSibling(name.substring(0, name.length()
                - CurveCertificate.SECRET_SUFFIX.length()));
            CurveCertificate published = CurveCertificate.load(publicFile);
            if (!published.publicKey().equals(brokerKey.publicKey())) {
                throw new ConfigurationException(publicFile + " is not the public key of " + secretFile);
            }
            if (brokerOptions.allowWorkers() != null) {
                if (workerCurveKey == null) {
                    throw new ConfigurationException("allowWorkers=" + brokerOptions.allowWorkers() + " needs the "
                        + "workers' key (workerCurveKey, --worker-curve-key), or every worker would be refused");
                }
                if (!AllowList.load(brokerOptions.allowWorkers(), false)
                    .allows(workerCurveKey.publicKey())) {
                    throw new ConfigurationException("the workers' key " + workerCurveKey.file() + " ("
                        + workerCurveKey.publicKey() + ") is not in allowWorkers=" + brokerOptions.allowWorkers()
                        + ": copy its public .key file there");
                }
            }
            return publicFile;
        }
    }
}
