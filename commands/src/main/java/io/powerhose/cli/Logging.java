package io.powerhose.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.FileSize;
import io.powerhose.ConfigurationException;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Sets up logging for the commands: short lines on stdout or stderr, or a rotating file with {@code --logfile};
 * INFO, or DEBUG with {@code --debug}. Done in code, not by a logback.xml in the jar, so that applications that
 * put this jar on their class path keep their own logging set-up; and only when logback is the slf4j binding
 * in use (with another one, the binding's own set-up stays). Called once, on the main thread, before anything
 * logs.
 */
final class Logging {
    private static final String PATTERN = "[%d{yyyy-MM-dd HH:mm:ss.SSS}][%logger{0}][pid "
        + ProcessHandle.current().pid()
        + "] %level %msg%n";

    private Logging() {
    }

    /**
     * Configures the root logger at INFO, or DEBUG.
     *
     * @param debug DEBUG level when true
     * @param logfile "stdout", "stderr", or a file path (rotated at 10 MB, 5 files kept)
     * @throws ConfigurationException when the log file cannot be written
     */
    static void configure(boolean debug, String logfile) {
        configure(debug ? Level.DEBUG : Level.INFO, logfile);
    }

    /**
     * Configures the root logger.
     *
     * @param level the root level
     * @param logfile "stdout", "stderr", or a file path (rotated at 10 MB, 5 files kept)
     * @throws ConfigurationException when the log file cannot be written
     */
    static void configure(Level level, String logfile) {
        boolean console = logfile == null || logfile.equals("stdout") || logfile.equals("stderr")
            || logfile.equals("-");
        if (!console) {
            checkWritable(logfile);
        }
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return;
        }
        context.reset();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender;
        if (console) {
            ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
            out.setTarget(logfile != null && logfile.equals("stdout") ? "System.out" : "System.err");
            appender = out;
        } else {
            RollingFileAppender<ILoggingEvent> file = new RollingFileAppender<>();
            file.setContext(context);
            file.setFile(logfile);
            FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
            rolling.setContext(context);
            rolling.setParent(file);
            rolling.setFileNamePattern(logfile + ".%i");
            rolling.setMinIndex(1);
            rolling.setMaxIndex(5);
            SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
            trigger.setContext(context);
            trigger.setMaxFileSize(FileSize.valueOf("10MB"));
            trigger.start();
            file.setRollingPolicy(rolling);
            file.setTriggeringPolicy(trigger);
            rolling.start();
            appender = file;
        }
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new ConfigurationException("--logfile " + logfile + ": logback could not open it");
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(appender);
    }

    /** A log file that cannot be written is a configuration error (exit 3), not a process that runs with no log. */
    private static void checkWritable(String logfile) {
        Path path = Path.of(logfile).toAbsolutePath();
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND).close();
        } catch (IOException | RuntimeException e) {
            throw new ConfigurationException("--logfile " + logfile + ": cannot write it (" + e + ")", e);
        }
    }
}
