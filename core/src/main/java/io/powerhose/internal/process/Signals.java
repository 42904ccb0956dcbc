package io.powerhose.internal.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Handles SIGHUP for the commands (the broker re-reads its allow-lists on it), through {@code sun.misc.Signal} of
 * the {@code jdk.unsupported} module, reached by reflection: the JDK has no public signal API, and javac warns on a
 * direct use of that class with no way to silence it under {@code -Werror}. The handler runs on the JVM's signal
 * dispatch thread and must only hand work on. Without this handler a SIGHUP ends the JVM (its default), so a
 * command installs it first thing.
 */
public final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /**
     * Runs {@code action} on every SIGHUP instead of ending the JVM.
     *
     * @param action what to do; it runs on the signal dispatch thread, so it must return quickly
     * @return true when installed; false when this JVM does not allow it (it is logged)
     */
    public static boolean onHangup(Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Constructor<?> constructor = signalClass.getConstructor(String.class);
            Object hangup = constructor.newInstance("HUP");
            Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerClass},
                (proxy, method, args) -> {
                    if (method.getName().equals("handle")) {
                        try {
                            action.run();
                        } catch (RuntimeException e) {
                            LOG.error("the SIGHUP handler failed", e);
                        }
                        return null;
                    }
                    return switch (method.getName()) {
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "SIGHUP handler";
                    };
                });
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            handle.invoke(null, hangup, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.warn("cannot handle SIGHUP in this JVM ({}): send SIGHUP only to stop it", e.toString());
            return false;
        }
    }
}
