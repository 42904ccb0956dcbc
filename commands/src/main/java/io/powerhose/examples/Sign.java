package io.powerhose.examples;

import io.powerhose.Job;
import io.powerhose.JobHandler;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A CPU-bound job, as in the original's bench: {@code rounds} rounds of HMAC-SHA256 with a 4 KiB key, each
 * round signing the previous round's output; replies with the last 32 bytes in lowercase hex. The cost is
 * set by the job header {@code rounds}, else the worker param {@code rounds}, else 400. The C worker
 * {@code powerhose-worker-sign} computes the same bytes (docs/WORKERS.md).
 */
public final class Sign implements JobHandler {
    /** The default number of rounds. */
    public static final int DEFAULT_ROUNDS = 400;
    private static final byte[] KEY = key();
    private final int defaultRounds;

    /** Creates the handler with 400 rounds unless a job says otherwise. */
    public Sign() {
        this(Map.of());
    }

    /**
     * Creates the handler with the worker's params.
     *
     * @param params may hold {@code rounds}
     */
    public Sign(Map<String, String> params) {
        this.defaultRounds = Integer.parseInt(params.getOrDefault("rounds", Integer.toString(DEFAULT_ROUNDS)));
    }

    @Override
    public byte[] handle(Job job) throws GeneralSecurityException {
        String header = job.header("rounds");
        int rounds = header != null ? Integer.parseInt(header) : defaultRounds;
        return HexFormat.of().formatHex(sign(job.data(), rounds)).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Runs the signing loop.
     *
     * @param data the data to sign
     * @param rounds how many rounds (0 returns the data itself)
     * @return the last round's output
     * @throws GeneralSecurityException when HMAC-SHA256 is not available
     */
    public static byte[] sign(byte[] data, int rounds) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        byte[] message = data;
        for (int i = 0; i < rounds; i++) {
            message = mac.doFinal(message);
        }
        return message;
    }

    private static byte[] key() {
        byte[] key = new byte[4096];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) ((i * 31 + 7) & 0xff);
        }
        return key;
    }
}
