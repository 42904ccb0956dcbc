package io.powerhose.internal.cluster;

import io.powerhose.ConfigurationException;
import io.powerhose.WorkerOptions;
import io.powerhose.internal.process.ExitCodes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The main class of the Java worker processes a {@link io.powerhose.Cluster} starts (and the tests' worker
 * processes). It lives in the library, not in the commands, so that a cluster works with nothing but {@code
 * powerhose-core} and the application's own slf4j binding on the class path. It takes {@code powerhose-worker}'s
 * options ({@code --option VALUE} or {@code --option=VALUE}), then the target:
 * <pre>
 * --backend B --heartbeat H --timeout SECONDS --max-age SECONDS --max-age-delta SECONDS --params K:V|K2:V2
 * --capacity N --prefetch N --ping-delay SECONDS --ping-retries N --heartbeat-interval SECONDS
 * --curve-server-key FILE --curve-key FILE --debug --logfile FILE --parent-pid PID   TARGET
 * </pre>
 * without {@code powerhose-worker}'s help texts (the commands module has them, and picocli). Logging is set up
 * by the first {@link ProcessLogging} found, when there is one. Exit codes as {@link ExitCodes}; a bad argument
 * list exits {@link ExitCodes#USAGE}.
 */
public final class WorkerMain {
    private static final String NAME = "powerhose-worker";

    private WorkerMain() {
    }

    /**
     * Runs a worker until it ends, then exits the JVM with its exit code.
     *
     * @param args the arguments above
     */
    public static void main(String[] args) {
        System.exit(run(List.of(args)));
    }

    static int run(List<String> args) {
        WorkerOptions.Builder builder = WorkerOptions.builder();
        boolean debug = false;
        String logfile = "stdout";
        String target = null;
        Duration maxAge = null;
        long parentPid = -1;
        try {
            List<String> words = new ArrayList<>();
            for (String arg : args) {
                int equals = arg.indexOf('=');
                if (arg.startsWith("--") && equals > 0) {
                    words.add(arg.substring(0, equals));
                    words.add(arg.substring(equals + 1));
                } else {
                    words.add(arg);
                }
            }
            Iterator<String> it = words.iterator();
            while (it.hasNext()) {
                String arg = it.next();
                switch (arg) {
                    case "--backend" -> builder.backend(value(it, arg));
                    case "--heartbeat" -> builder.heartbeat(value(it, arg));
                    case "--timeout" -> builder.timeout(seconds(it, arg));
                    case "--max-age" -> maxAge = seconds(it, arg);
                    case "--max-age-delta" -> builder.maxAgeDelta(seconds(it, arg));
                    case "--params" -> builder.params(value(it, arg));
                    case "--capacity" -> builder.capacity(number(it, arg));
                    case "--prefetch" -> builder.prefetch(number(it, arg));
                    case "--ping-delay" -> builder.pingDelay(seconds(it, arg));
                    case "--ping-retries" -> builder.pingRetries(number(it, arg));
                    case "--heartbeat-interval" -> builder.heartbeatInterval(seconds(it, arg));
                    case "--curve-server-key" -> builder.curveServerKey(Path.of(value(it, arg)));
                    case "--curve-key" -> builder.curveKey(Path.of(value(it, arg)));
                    case "--parent-pid" -> parentPid = number(it, arg);
                    case "--logfile" -> logfile = value(it, arg);
                    case "--debug" -> debug = true;
                    default -> {
                        if (arg.startsWith("-") || target != null) {
                            return usage("unexpected argument " + arg);
                        }
                        target = arg;
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        } catch (ConfigurationException e) {
            System.err.println(NAME + ": " + e.getMessage());
            return ExitCodes.CONFIGURATION;
        }
        if (target == null) {
            return usage("no target");
        }
        try {
            for (ProcessLogging logging : ServiceLoader.load(ProcessLogging.class)) {
                logging.configure(debug, logfile);
                break;
            }
            if (maxAge != null && !maxAge.isNegative()) {
                builder.maxAge(maxAge);
            }
            WorkerOptions options = builder.target(target).build();
            return WorkerProcess.run(NAME, options, parentPid);
        } catch (ConfigurationException e) {
            System.err.println(NAME + ": " + e.getMessage());
            return ExitCodes.CONFIGURATION;
        }
    }

    private static String value(Iterator<String> it, String option) {
        if (!it.hasNext()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return it.next();
    }

    private static Duration seconds(Iterator<String> it, String option) {
        String text = value(it, option);
        try {
            return Duration.ofNanos(Math.round(Double.parseDouble(text) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number of seconds, not " + text);
        }
    }

    private static int number(Iterator<String> it, String option) {
        String text = value(it, option);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a whole number, not " + text);
        }
    }

    private static int usage(String why) {
        System.err.println(NAME + ": " + why + " (the options of powerhose-worker, then the target)");
        return ExitCodes.USAGE;
    }
}
