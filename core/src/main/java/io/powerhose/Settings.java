package io.powerhose;

import io.powerhose.internal.Durations;
import io.powerhose.internal.Endpoints;

import java.time.Duration;

/** Checks shared by the options builders. */
final class Settings {
    private Settings() {
    }

    static void positive(String name, Duration value) {
        Durations.requirePositive(name, value);
    }

    static void notNegative(String name, Duration value) {
        Durations.requireNotNegative(name, value);
    }

    static void endpoint(String name, String endpoint) {
        Endpoints.check(name, endpoint);
    }

    /** A CURVE client's keys: its own key pair only with the server's key, and with its secret key. */
    static void curveClient(CurveCertificate serverKey, CurveCertificate ownKey) {
        if (ownKey != null && serverKey == null) {
            throw new ConfigurationException("curveKey=" + ownKey + " without curveServerKey: CURVE needs the "
                + "broker's public key (--curve-server-key)");
        }
        if (ownKey != null && !ownKey.hasSecretKey()) {
            throw new ConfigurationException("curveKey=" + ownKey + " holds no secret key: give the NAME.key_secret "
                + "file");
        }
    }
}
