package io.powerhose.internal.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This machine's host name, as {@code hostname} prints it, without a DNS lookup (a misconfigured resolver must
 * not slow a worker's start): the kernel's name, else {@code HOSTNAME}, else {@code "-"}. Safe from any thread.
 */
public final class Hostname {
    private static final String NAME = find();

    private Hostname() {
    }

    /** @return the host name, or {@code "-"} when unknown */
    public static String get() {
        return NAME;
    }

    /**
     * The READY label of a worker of ours: its language, {@code @}, its host (docs/PROTOCOL.md, READY).
     *
     * @param language e.g. {@code "java"}
     * @return e.g. {@code "java@build-1"}
     */
    public static String workerLabel(String language) {
        return language + "@" + NAME;
    }

    private static String find() {
        for (String file : new String[] {"/proc/sys/kernel/hostname", "/etc/hostname"}) {
            try {
                String name = Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
                if (!name.isEmpty()) {
                    return name;
                }
            } catch (IOException | RuntimeException e) {
                // next
            }
        }
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "-" : env.trim();
    }
}
