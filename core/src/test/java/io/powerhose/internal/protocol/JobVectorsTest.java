package io.powerhose.internal.protocol;

import io.powerhose.ProtocolException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared job payload vectors, {@code docs/job-vectors.tsv}: the Java parser here, the Python one through its
 * script (the C one runs them in {@code make test}). One file, three parsers, the same verdicts.
 */
class JobVectorsTest {
    /** Surefire runs in core/. */
    static final Path VECTORS = Path.of("..", "docs", "job-vectors.tsv").toAbsolutePath().normalize();
    private static final Path PYTHON_TEST = Path.of("..", "examples", "python", "test_job_vectors.py")
        .toAbsolutePath().normalize();

    /**
     * One line of the file.
     *
     * @param line its line number
     * @param fields its fields, %XX decoded
     */
    record Vector(int line, List<byte[]> fields) {
        boolean ok() {
            return new String(fields.get(0), StandardCharsets.US_ASCII).equals("ok");
        }

        byte[] payload() {
            return fields.get(1);
        }

        @Override
        public String toString() {
            return "line " + line + ": " + Frames.printable(payload());
        }
    }

    static List<Vector> vectors() throws IOException {
        List<Vector> vectors = new ArrayList<>();
        List<String> lines = Files.readAllLines(VECTORS, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<byte[]> fields = new ArrayList<>();
            for (String field : line.split("\t", -1)) {
                fields.add(unescape(field));
            }
            vectors.add(new Vector(i + 1, fields));
        }
        return vectors;
    }

    /** A field as written, except that %XX is that byte. */
    static byte[] unescape(String field) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '%' && i + 2 < field.length()) {
                out.write(Integer.parseInt(field.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    @TestFactory
    List<DynamicTest> javaParserGivesEveryVectorsVerdict() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Vector vector : vectors()) {
            tests.add(DynamicTest.dynamicTest(vector.toString(), () -> {
                if (!vector.ok()) {
                    assertThrows(ProtocolException.class, () -> JobCodec.decode(vector.payload()));
                    return;
                }
                JobCodec.Decoded decoded = JobCodec.decode(vector.payload());
                Map<String, String> headers = new LinkedHashMap<>();
                for (int f = 3; f + 1 < vector.fields().size(); f += 2) {
                    headers.put(utf8(vector.fields().get(f)), utf8(vector.fields().get(f + 1)));
                }
                assertEquals(List.copyOf(headers.entrySet()), List.copyOf(decoded.headers().entrySet()));
                assertArrayEquals(vector.fields().get(2), decoded.data());
            }));
        }
        return tests;
    }

    @Test
    void theFileHasEnoughOfBothVerdicts() throws IOException {
        List<Vector> vectors = vectors();
        assertTrue(vectors.stream().filter(Vector::ok).count() >= 20, "ok vectors");
        assertTrue(vectors.stream().filter(v -> !v.ok()).count() >= 20, "bad vectors");
        for (Vector vector : vectors) {
            assertTrue(vector.ok() ? vector.fields().size() % 2 == 1 : vector.fields().size() == 3,
                "ok: payload, data, then name/value pairs; bad: payload and why (" + vector + ")");
        }
    }

    /** The Python worker's parser (examples/python/worker.py) on the same file. */
    @Test
    @Timeout(60)
    void pythonParserGivesEveryVectorsVerdict() throws Exception {
        Process python = new ProcessBuilder("/usr/bin/python3", PYTHON_TEST.toString(), VECTORS.toString())
            .redirectErrorStream(true).start();
        String output;
        try {
            output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(python.waitFor(50, TimeUnit.SECONDS), "the Python test did not finish");
        } finally {
            python.destroyForcibly();
        }
        assertEquals(0, python.exitValue(), output);
        assertTrue(output.contains(", 0 failures"), output);
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
