package io.powerhose.testing;

import io.powerhose.Broker;
import io.powerhose.BrokerOptions;
import io.powerhose.internal.process.Signals;
import io.powerhose.internal.runner.ThreadRole;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A broker as a process of its own, for the core tests (the {@code powerhose-broker} command lives in the commands
 * module): {@code --frontend F --backend B --heartbeat H}, and for the security tests {@code --curve-secret-key FILE
 * --allow-clients DIR --allow-workers DIR --ipc-group G} and {@code --endpoints-file FILE} (the three endpoints as
 * bound, one a line, written once the broker runs: a {@code tcp://127.0.0.1:*} port is the one the system chose);
 * prints {@code broker up PID} once bound. SIGHUP re-reads the allow-lists, as in the command. Runs until SIGTERM,
 * or until the process that started it ends.
 */
public final class BrokerProcess {
    private BrokerProcess() {
    }

    /**
     * Runs the broker.
     *
     * @param args the options above
     * @throws IOException when the endpoints file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Broker[] started = new Broker[1];
        Signals.onHangup(() -> {
            if (started[0] != null) {
                started[0].reloadAllowLists();
            }
        });
        BrokerOptions.Builder options = BrokerOptions.builder();
        Path endpointsFile = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--frontend" -> options.frontend(value);
                case "--backend" -> options.backend(value);
                case "--heartbeat" -> options.heartbeat(value);
                case "--curve-secret-key" -> options.curveSecretKey(Path.of(value));
                case "--allow-clients" -> options.allowClients(Path.of(value));
                case "--allow-workers" -> options.allowWorkers(Path.of(value));
                case "--ipc-group" -> options.ipcGroup(value);
                case "--endpoints-file" -> endpointsFile = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Broker broker = Broker.start(options.build());
        started[0] = broker;
        Runtime.getRuntime().addShutdownHook(ThreadRole.SHUTDOWN.newThread(broker::close, "broker"));
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
        if (endpointsFile != null) {
            Path partial = endpointsFile.resolveSibling(endpointsFile.getFileName() + ".partial");
            try {
                Files.writeString(partial, broker.frontend() + "\n" + broker.backend() + "\n" + broker.heartbeat()
                    + "\n");
                Files.move(partial, endpointsFile, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        System.out.println("broker up " + broker.pid());
        broker.awaitStop();
    }
}
