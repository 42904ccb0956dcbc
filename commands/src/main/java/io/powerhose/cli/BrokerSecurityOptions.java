package io.powerhose.cli;

import io.powerhose.BrokerOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The broker's security options, as {@code powerhose-broker} and {@code powerhose} take them (a picocli mixin):
 * its CURVE key, the allow-lists, the ipc group (docs/SECURITY.md).
 */
final class BrokerSecurityOptions {
    @Option(names = "--curve-secret-key", paramLabel = "FILE",
        description = "The broker's key pair, its NAME.key_secret file (mode 0600, from powerhose-keygen): CURVE "
            + "on the frontend, backend and heartbeat (encryption and authentication).")
    Path curveSecretKey;

    @Option(names = "--allow-clients", paramLabel = "DIR",
        description = "Only clients whose public key (a NAME.key file) is in DIR may connect; re-read on SIGHUP and "
            + "when DIR changes. Without it, any CURVE client may.")
    Path allowClients;

    @Option(names = "--allow-workers", paramLabel = "DIR",
        description = "Only workers whose public key is in DIR may register; re-read on SIGHUP and when DIR "
            + "changes. Without it, any CURVE peer may.")
    Path allowWorkers;

    @Option(names = "--ipc-group", paramLabel = "GROUP",
        description = "Let GROUP use the ipc socket files too (mode 0660); by default only their owner may (0600).")
    String ipcGroup;

    @Option(names = "--no-watch-allow-lists",
        description = "Re-read the allow-lists on SIGHUP only, not as soon as their directories change.")
    boolean noWatchAllowLists;

    void applyTo(BrokerOptions.Builder builder) {
        if (curveSecretKey != null) {
            builder.curveSecretKey(curveSecretKey);
        }
        builder.allowClients(allowClients).allowWorkers(allowWorkers).ipcGroup(ipcGroup)
            .watchAllowLists(!noWatchAllowLists);
    }
}
