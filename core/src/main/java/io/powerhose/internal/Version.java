package io.powerhose.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * This library's version, as the build wrote it from the pom into {@code version.properties}: the one place it
 * is set. Pure.
 */
public final class Version {
    private static final String TEXT = load();

    private Version() {
    }

    /** @return the version, e.g. {@code 0.1.0-SNAPSHOT} */
    public static String text() {
        return TEXT;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
