package io.powerhose.cli;

import io.powerhose.BrokerOptions;
import io.powerhose.internal.client.Probe;
import io.powerhose.internal.process.ExitCodes;
import io.powerhose.internal.zmq.Security;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code powerhose-broker --purge-ghosts}: ends the broker processes of ours on this machine that were started for
 * this frontend but do not answer on it (their ipc file was taken over, or they hang), keeping the one that
 * answers.
 */
final class GhostPurge {
    private static final List<String> BROKER_MAINS = List.of("io.powerhose.cli.BrokerCommand",
        "io.powerhose.cli.ClusterCommand");

    private GhostPurge() {
    }

    static int run(String frontend, PrintStream out, Security security) {
        long active = Probe.ping(frontend, BrokerChecks.PING_TIMEOUT, security);
        if (active > 0) {
            out.println("The active broker runs at PID: " + active);
        } else {
            out.println("No broker answers on " + frontend + ".");
        }
        long self = ProcessHandle.current().pid();
        List<Long> killed = new ArrayList<>();
        for (ProcessHandle process : ProcessHandle.allProcesses().toList()) {
            if (process.pid() == self || process.pid() == active) {
                continue;
            }
            Optional<String[]> arguments = process.info().arguments();
            if (arguments.isEmpty() || !isBrokerFor(arguments.get(), frontend)) {
                continue;
            }
            out.println("Killing ghost broker PID " + process.pid() + " (" + String.join(" ", tail(arguments.get()))
                + ")");
            // SIGKILL, not SIGTERM: a ghost's orderly stop would unlink the ipc path that the active broker uses.
            process.destroyForcibly();
            try {
                process.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                out.println("Ghost broker PID " + process.pid() + " did not exit within 5 s of SIGKILL.");
            }
            killed.add(process.pid());
        }
        if (killed.isEmpty()) {
            out.println("No ghosts were killed.");
        } else {
            out.println("Ghosts killed: " + killed);
        }
        return ExitCodes.OK;
    }

    /** Whether a command line runs one of our brokers for this frontend (and is not a --check or a purge). */
    static boolean isBrokerFor(String[] arguments, String frontend) {
        int main = -1;
        for (int i = 0; i < arguments.length; i++) {
            if (BROKER_MAINS.contains(arguments[i])) {
                main = i;
            }
        }
        if (main < 0) {
            return false;
        }
        String theirs = BrokerOptions.DEFAULT_FRONTEND;
        for (int i = main + 1; i < arguments.length; i++) {
            String arg = arguments[i];
            if (arg.equals("--check") || arg.equals("--purge-ghosts")) {
                return false;
            }
            if (arg.equals("--frontend") && i + 1 < arguments.length) {
                theirs = arguments[i + 1];
            } else if (arg.startsWith("--frontend=")) {
                theirs = arg.substring("--frontend=".length());
            }
        }
        return theirs.equals(frontend);
    }

    private static List<String> tail(String[] arguments) {
        for (int i = 0; i < arguments.length; i++) {
            if (BROKER_MAINS.contains(arguments[i])) {
                return List.of(arguments).subList(i, arguments.length);
            }
        }
        return List.of(arguments);
    }

}
