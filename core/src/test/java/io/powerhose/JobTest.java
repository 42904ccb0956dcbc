package io.powerhose;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobTest {
    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void serializesTheDocumentedExample() {
        assertArrayEquals(ascii("NONE:::4*2"), new Job("4*2").serialize());
        assertEquals("4*2", Job.loadFromString("NONE:::4*2").dataAsString());
        assertTrue(Job.loadFromString("NONE:::4*2").headers().isEmpty());
    }

    @Test
    void readsHeadersAsPowerhose0xWroteThem() {
        Job job = Job.loadFromString("h1:v1::h2:v2:::hello");
        assertEquals(Map.of("h1", "v1", "h2", "v2"), job.headers());
        assertEquals("hello", job.dataAsString());
        assertArrayEquals(ascii("h1:v1::h2:v2:::hello"), job.serialize());
    }

    @Test
    void addHeaderOverwritesAndKeepsOrder() {
        Job job = new Job("x").addHeader("a", "1").addHeader("b", "2").addHeader("a", "3");
        assertArrayEquals(ascii("a:3::b:2:::x"), job.serialize());
    }

    @Test
    void dataMayContainTheSeparatorAndBinary() {
        byte[] data = {':', ':', ':', 0, (byte) 0xff, ':', '\\'};
        Job back = Job.loadFromString(new Job(data, Map.of("k", "v")).serialize());
        assertArrayEquals(data, back.data());
        assertEquals("v", back.header("k"));
        assertArrayEquals(data, Job.loadFromString(new Job(data).serialize()).data());
    }

    @Test
    void escapesTheDocumentedHardCases() {
        assertArrayEquals(ascii("a\\:b:c\\\\:::x"), new Job("x", Map.of("a:b", "c\\")).serialize());
        assertArrayEquals(ascii("k:\\0:::"), new Job("", Map.of("k", "")).serialize());
        Map<String, String> hard = new LinkedHashMap<>();
        hard.put("a", "b");
        hard.put("", "v");
        hard.put("NONE", "");
        hard.put("ends:", "with:");
        hard.put("back\\", "slash\\");
        hard.put("ünï", "cödé ✓");
        Job back = Job.loadFromString(new Job("::data", hard).serialize());
        assertEquals(hard, back.headers());
        assertEquals("::data", back.dataAsString());
    }

    @Test
    void randomHeadersAndDataRoundTrip() {
        Random random = new Random(42);
        String alphabet = ":\\:N0ONE:é✓ab";
        for (int round = 0; round < 5_000; round++) {
            Map<String, String> headers = new LinkedHashMap<>();
            int count = random.nextInt(5);
            for (int i = 0; i < count; i++) {
                headers.put(randomText(random, alphabet), randomText(random, alphabet));
            }
            byte[] data = new byte[random.nextInt(20)];
            random.nextBytes(data);
            Job back = Job.loadFromString(new Job(data, headers).serialize());
            assertEquals(headers, back.headers(), "round " + round);
            assertArrayEquals(data, back.data(), "round " + round);
        }
    }

    private static String randomText(Random random, String alphabet) {
        if (random.nextInt(6) == 0) {
            return random.nextBoolean() ? "" : "NONE";
        }
        StringBuilder out = new StringBuilder();
        int length = random.nextInt(6);
        for (int i = 0; i < length; i++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    @Test
    void malformedPayloadsRaiseAClearProtocolException() {
        for (String bad : new String[] {"", "no separator", "a:b", "a:b:c:::d", "a:b::", "a\\", "a:b:"}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> Job.loadFromString(bad), bad);
            assertTrue(e.getMessage().startsWith("job headers: "), e.getMessage());
        }
        byte[] badUtf8 = {(byte) 0xc3, ':', 'v', ':', ':', ':', 'd'};
        assertThrows(ProtocolException.class, () -> Job.loadFromString(badUtf8));
    }

    @Test
    void randomBytesNeverCrashTheParser() {
        Random random = new Random(7);
        byte[] pool = ascii(":\\NONE0a");
        for (int round = 0; round < 20_000; round++) {
            byte[] payload = new byte[random.nextInt(16)];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = random.nextInt(10) == 0 ? (byte) random.nextInt(256) : pool[random.nextInt(pool.length)];
            }
            try {
                Job job = Job.loadFromString(payload);
                Job again = Job.loadFromString(job.serialize());
                assertEquals(job.headers(), again.headers());
                assertArrayEquals(job.data(), again.data());
            } catch (ProtocolException expected) {
                // malformed input is reported, never anything else
            }
        }
    }

    @Test
    void nulInAHeaderIsRefusedWhenSerializing() {
        assertThrows(IllegalArgumentException.class, () -> new Job("x", Map.of("k", "a\u0000b")).serialize());
        assertThrows(IllegalArgumentException.class, () -> new Job("x", Map.of("\u0000", "v")).serialize());
    }

    @Test
    void unpairedSurrogateInAHeaderIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Job("x", Map.of("k", "\ud800")).serialize());
    }
}
