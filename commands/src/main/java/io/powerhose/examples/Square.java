package io.powerhose.examples;

import io.powerhose.Job;
import io.powerhose.JobHandler;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * Replies with the square of the decimal number in the job's data ({@code "4"} gives {@code "16"}), as the
 * original's C++ example did. Integers stay exact.
 */
public final class Square implements JobHandler {
    /** Creates the handler. */
    public Square() {
    }

    @Override
    public byte[] handle(Job job) {
        String text = job.dataAsString().trim();
        String result;
        try {
            result = new BigInteger(text).pow(2).toString();
        } catch (NumberFormatException notInteger) {
            try {
                result = new BigDecimal(text).pow(2).stripTrailingZeros().toPlainString();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number: " + text);
            }
        }
        return result.getBytes(StandardCharsets.US_ASCII);
    }
}
