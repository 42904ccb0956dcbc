package io.powerhose.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.powerhose.internal.client.Probe;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Runs {@code powerhose-broker} with a fault injected through its logging, for tests of what happens when the
 * broker's loop dies: once the command has set up logging, the first log call whose text contains the system
 * property {@code powerhose.test.fault-on} throws an {@link InternalError} on the calling thread (the broker's
 * loop, when it logs about a malformed message). Prints {@code fault armed} when ready. The command is found by
 * name, so this works wherever the commands live.
 */
public final class FaultyBrokerMain {
    private FaultyBrokerMain() {
    }

    /**
     * Arms the fault, then runs {@code io.powerhose.cli.BrokerCommand}.
     *
     * @param args the command's arguments
     * @throws Exception when the command cannot be found
     */
    public static void main(String[] args) throws Exception {
        String trigger = System.getProperty("powerhose.test.fault-on");
        String frontend = args[java.util.Arrays.asList(args).indexOf("--frontend") + 1];
        Thread arm = new Thread(() -> armOnceTheBrokerListens(trigger, frontend), "fault-arm");
        arm.setDaemon(true);
        arm.start();
        Class.forName("io.powerhose.cli.BrokerCommand").getMethod("main", String[].class).invoke(null, (Object) args);
    }

    private static void armOnceTheBrokerListens(String trigger, String frontend) {
        // The command sets up logging (resetting the context) before it starts the broker: armed after that, the
        // filter stays.
        while (!Probe.isListening(frontend)) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.addTurboFilter(new TurboFilter() {
            @Override
            public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                                      Throwable t) {
                if (matches(format) || params != null && java.util.Arrays.stream(params).anyMatch(p -> matches(p))) {
                    throw new InternalError("fault injected by the test");
                }
                return FilterReply.NEUTRAL;
            }

            private boolean matches(Object text) {
                return text != null && text.toString().contains(trigger);
            }
        });
        System.out.println("fault armed");
        System.out.flush();
    }
}
