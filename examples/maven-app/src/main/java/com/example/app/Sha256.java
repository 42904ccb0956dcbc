package com.example.app;

import io.powerhose.Job;
import io.powerhose.JobHandler;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The application's own job: the SHA-256 of the job's data, in lowercase hex. Runs in the worker processes. */
public final class Sha256 implements JobHandler {
    @Override
    public byte[] handle(Job job) throws NoSuchAlgorithmException {
        return hex(job.data()).getBytes(StandardCharsets.US_ASCII);
    }

    /** The same computation, for checking answers in the application. */
    static String hex(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
