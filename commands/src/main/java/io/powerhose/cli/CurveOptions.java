package io.powerhose.cli;

import io.powerhose.CurveCertificate;
import io.powerhose.internal.zmq.Security;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The CURVE options of every command that connects to a broker (a picocli mixin): the broker's public key and
 * this side's key pair, as files (docs/SECURITY.md).
 */
final class CurveOptions {
    @Option(names = "--curve-server-key", paramLabel = "FILE",
        description = "The broker's public key (its NAME.key file): turns CURVE on (encryption and authentication).")
    Path serverKey;

    @Option(names = "--curve-key", paramLabel = "FILE",
        description = "This side's key pair, its NAME.key_secret file (mode 0600), from powerhose-keygen; without "
            + "it, a new key pair per connection (refused by a broker with an allow-list).")
    Path key;

    /** @return the broker's public key, or null */
    CurveCertificate serverCertificate() {
        return serverKey == null ? null : CurveCertificate.load(serverKey);
    }

    /** @return this side's key pair, or null */
    CurveCertificate ownCertificate() {
        return key == null ? null : CurveCertificate.loadSecret(key);
    }

    /**
     * @return the security of a one-shot connection (a probe)
     * @throws io.powerhose.ConfigurationException naming a key file that cannot be used
     */
    Security security() {
        CurveCertificate server = serverCertificate();
        CurveCertificate own = ownCertificate();
        if (own != null && server == null) {
            throw new io.powerhose.ConfigurationException("--curve-key " + key + " needs --curve-server-key (the "
                + "broker's public key)");
        }
        return Security.client(server, own);
    }
}
