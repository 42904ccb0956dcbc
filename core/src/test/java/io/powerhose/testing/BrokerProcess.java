package io.powerhose.testing;

import io.powerhose.Broker;
import io.powerhose.BrokerOptions;

/**
 * A broker as a process of its own, for the core tests (the {@code powerhose-broker} command lives in the commands
 * module): {@code --frontend F --backend B --heartbeat H}; prints {@code broker up PID} once bound, then runs until
 * SIGTERM, or until the process that started it ends.
 */
public final class BrokerProcess {
    private BrokerProcess() {
    }

    /**
     * Runs the broker.
     *
     * @param args {@code --frontend F --backend B --heartbeat H}
     */
    public static void main(String[] args) {
        BrokerOptions.Builder options = BrokerOptions.builder();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--frontend" -> options.frontend(args[i + 1]);
                case "--backend" -> options.backend(args[i + 1]);
                case "--heartbeat" -> options.heartbeat(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Broker broker = Broker.start(options.build());
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "powerhose-broker-shutdown"));
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
        System.out.println("broker up " + broker.pid());
        broker.awaitStop();
    }
}
