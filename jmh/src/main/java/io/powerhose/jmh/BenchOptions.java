package io.powerhose.jmh;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code ./bench.sh} was asked for, parsed from its arguments before anything runs. Immutable.
 *
 * @param costsMs the built-in job's costs in ms (ignored with a target)
 * @param threads in-process threads, and client threads on the Powerhose side
 * @param workers Powerhose worker processes for the offload benchmark
 * @param inFlight jobs in flight on the async client
 * @param target a user's job class (or Class::method), or null for the built-in HMAC job
 * @param data the job's data, as text
 * @param mode quick, full, or smoke (tiny, for tests)
 * @param out the results folder
 * @param nativeDir the folder of zmq-floor and the C workers, or null to skip them
 * @param metrics also compare the echo round trips with metrics on and off, in alternating trials
 */
record BenchOptions(List<String> costsMs, int threads, int workers, int inFlight, String target, String data,
                    Mode mode, Path out, Path nativeDir, boolean metrics) {

    /** How long and how wide a run is. */
    enum Mode { SMOKE, QUICK, FULL }

    static final String USAGE = String.join(System.lineSeparator(),
        "usage: ./bench.sh [--cost 1ms,20ms] [--threads T] [--workers W] [--in-flight N] [--full] [--metrics]",
        "                  [--target com.example.MyJob [--data TEXT]] [--out DIR]",
        "  --cost LIST     costs of the built-in HMAC-SHA256 job, in ms (\"0.2\", \"1ms\", \"20ms\");",
        "                  default 0.2,1,20 (quick) or 0.05,0.2,1,5,20 (--full)",
        "  --threads T     in-process threads and Powerhose client threads (default: the number of cores)",
        "  --workers W     Powerhose worker processes (default: the number of cores)",
        "  --in-flight N   jobs in flight on the async client (default 32)",
        "  --target CLASS  measure YOUR job class (a JobHandler, or Class::method) on POWERHOSE_CLASSPATH",
        "                  instead of the HMAC job; --data gives its input as text",
        "  --full          2 forks, longer iterations, round trips over ipc and tcp for 64 B, 4 KiB, 64 KiB",
        "  --metrics       also run the echo round trips with metrics on (the broker and the client recording",
        "                  into a Prometheus registry) and off, in alternating trials, and print the ratio",
        "  --out DIR       where the results go (default results/<timestamp>)");

    static final String DEFAULT_DATA = "powerhose benchmark data: 64 bytes of text to sign, as bench.py did, x";

    /**
     * Parses the arguments.
     *
     * @param args the command line
     * @param defaultOut the results folder when none is given
     * @param defaultNativeDir native/build when found
     * @return the options
     * @throws IllegalArgumentException naming a bad argument
     */
    static BenchOptions parse(String[] args, Path defaultOut, Path defaultNativeDir) {
        int cores = Runtime.getRuntime().availableProcessors();
        List<String> costs = null;
        int threads = cores;
        int workers = cores;
        int inFlight = 32;
        String target = null;
        String data = DEFAULT_DATA;
        Mode mode = Mode.QUICK;
        Path out = defaultOut;
        boolean metrics = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            boolean inline = a.contains("=");
            switch (name) {
                case "--full" -> mode = Mode.FULL;
                case "--smoke" -> mode = Mode.SMOKE;
                case "--metrics" -> metrics = true;
                case "-h", "--help" -> throw new HelpRequested();
                case "--cost", "--threads", "--workers", "--in-flight", "--target", "--data", "--out" -> {
                    String value;
                    if (inline) {
                        value = a.substring(a.indexOf('=') + 1);
                    } else if (i + 1 < args.length) {
                        value = args[++i];
                    } else {
                        throw new IllegalArgumentException(name + " needs a value");
                    }
                    switch (name) {
                        case "--cost" -> costs = costs(value);
                        case "--threads" -> threads = positive(name, value);
                        case "--workers" -> workers = positive(name, value);
                        case "--in-flight" -> inFlight = positive(name, value);
                        case "--target" -> target = value;
                        case "--data" -> data = value;
                        default -> out = Path.of(value);
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument: " + a);
            }
        }
        if (costs == null) {
            costs = switch (mode) {
                case SMOKE -> List.of("1");
                case QUICK -> List.of("0.2", "1", "20");
                case FULL -> List.of("0.05", "0.2", "1", "5", "20");
            };
        }
        if (target != null) {
            costs = List.of("-");
        }
        return new BenchOptions(costs, threads, workers, inFlight, target, data, mode, out, defaultNativeDir,
            metrics);
    }

    /** @return true when measuring a user's job rather than the built-in one */
    boolean userJob() {
        return target != null;
    }

    private static List<String> costs(String value) {
        List<String> costs = new ArrayList<>();
        for (String part : value.split(",")) {
            String v = part.trim().toLowerCase(Locale.ROOT);
            if (v.endsWith("ms")) {
                v = v.substring(0, v.length() - 2).trim();
            } else if (v.endsWith("us") || v.endsWith("µs")) {
                v = Double.toString(Double.parseDouble(v.substring(0, v.length() - 2).trim()) / 1000);
            } else if (v.endsWith("s")) {
                v = Double.toString(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 1000);
            }
            double ms;
            try {
                ms = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--cost: '" + part + "' is not a duration such as 1ms or 0.2");
            }
            if (!(ms > 0) || ms > 60_000) {
                throw new IllegalArgumentException("--cost: " + part + " must be between 0 and 60 s");
            }
            costs.add(trim(ms));
        }
        return List.copyOf(costs);
    }

    static String trim(double ms) {
        String s = String.format(Locale.ROOT, "%.4f", ms);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private static int positive(String name, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " needs a whole number >= 1, not '" + value + "'");
    }

    /** Thrown by {@link #parse} for {@code --help}. */
    static final class HelpRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HelpRequested() {
            super("help", null, false, false);
        }
    }
}
