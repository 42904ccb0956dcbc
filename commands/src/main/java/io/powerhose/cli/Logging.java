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
import org.slf4j.LoggerFactory;

/**
 * Sets up logging for the commands: short lines on stderr, or a rotating file with {@code --logfile}; INFO,
 * or DEBUG with {@code --debug}. Done in code, not by a logback.xml in the jar, so that applications using
 * the library keep their own logging set-up. Called once, on the main thread, before anything logs.
 */
final class Logging {
    private static final String PATTERN = "[%d{yyyy-MM-dd HH:mm:ss.SSS}][%logger{0}][pid "
        + ProcessHandle.current().pid()
        + "] %level %msg%n";

    private Logging() {
    }

    /**
     * Configures the root logger.
     *
     * @param debug DEBUG level when true
     * @param logfile "stdout", "stderr", or a file path (rotated at 10 MB, 5 files kept)
     */
    static void configure(boolean debug, String logfile) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender;
        if (logfile == null || logfile.equals("stdout") || logfile.equals("stderr") || logfile.equals("-")) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget(logfile != null && logfile.equals("stdout") ? "System.out" : "System.err");
            appender = console;
        } else {
            RollingFileAppender<ILoggingEvent> file = new RollingFileAppender<>();
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
            appender = file;
            appender.setContext(context);
            rolling.start();
        }
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(debug ? Level.DEBUG : Level.INFO);
        root.addAppender(appender);
    }
}
