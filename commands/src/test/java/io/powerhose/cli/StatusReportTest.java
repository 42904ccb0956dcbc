package io.powerhose.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusReportTest {
    private static final String STATUS = String.join("\n",
        "pid=4242", "uptime_ms=754000", "workers=3", "queued=5", "in_flight=2",
        "jobs_received=120", "jobs_ok=110", "frames_dropped=0",
        "worker.4300=label:java@host-a,capacity:1,prefetch:32,in_flight:1,done:60,age_ms:12500",
        "worker.1=label:c@box \"1\",capacity:1,prefetch:0,in_flight:1,done:50,age_ms:3723000,leaving",
        "worker.1#2=label:-,capacity:2,prefetch:4,in_flight:0,done:0,age_ms:10", "");

    @Test
    void workerLinesSplitTheLabelIntoLanguageAndHost() {
        StatusReport report = StatusReport.parse(STATUS);
        List<Map<String, String>> workers = report.workers();
        assertEquals(3, workers.size());
        assertEquals(Map.of("pid", "4300", "host", "host-a", "language", "java", "capacity", "1", "prefetch", "32",
            "in_flight", "1", "done", "60", "age_ms", "12500", "leaving", "false"), workers.get(0));
        assertEquals("box \"1\"", workers.get(1).get("host"));
        assertEquals("true", workers.get(1).get("leaving"));
        assertEquals("1", workers.get(2).get("pid"), "a second worker with pid 1 (another container)");
        assertEquals("-", workers.get(2).get("host"), "a label without '@' has no host");
        assertEquals(Map.of("jobs_received", "120", "jobs_ok", "110", "frames_dropped", "0"), report.counters());
    }

    @Test
    void tableHasOneAlignedRowPerWorkerAndTheCounters() {
        String table = StatusReport.parse(STATUS).table("ipc:///x/front.ipc");
        List<String> lines = table.lines().toList();
        assertEquals("broker    pid 4242, up 12 min 34 s, frontend ipc:///x/front.ipc", lines.get(0));
        assertEquals("jobs      5 queued, 2 in flight", lines.get(1));
        assertEquals("workers   3", lines.get(2));
        String header = lines.get(4);
        assertEquals("PID   HOST     LANGUAGE  CAPACITY  PREFETCH  IN FLIGHT  JOBS DONE  AGE", header, table);
        assertEquals("4300  host-a   java      1         32        1          60         12.5 s", lines.get(5));
        assertEquals("1     box \"1\"  c         1         0         1          50         1 h 2 min  leaving",
            lines.get(6));
        assertTrue(table.contains("\ncounters\n  jobs_received   120\n  jobs_ok         110\n"), table);
    }

    @Test
    void jsonKeepsNumbersAsNumbersAndEscapesText() {
        String json = StatusReport.parse(STATUS).json("tcp://h:5555");
        assertTrue(json.startsWith("{\"broker\":{\"pid\":4242,\"uptime_ms\":754000,\"frontend\":\"tcp://h:5555\"},"
            + "\"queued\":5,\"in_flight\":2,\"workers\":[{\"pid\":4300,\"host\":\"host-a\",\"language\":\"java\","
            + "\"capacity\":1,\"prefetch\":32,\"in_flight\":1,\"done\":60,\"age_ms\":12500,\"leaving\":false},"), json);
        assertTrue(json.contains("\"host\":\"box \\\"1\\\"\""), json);
        assertTrue(json.endsWith("\"counters\":{\"jobs_received\":120,\"jobs_ok\":110,\"frames_dropped\":0}}"), json);
    }

    @Test
    void agesReadAsPeopleSayThem() {
        assertEquals("250 ms", StatusReport.age("250"));
        assertEquals("59.9 s", StatusReport.age("59900"));
        assertEquals("2 min 5 s", StatusReport.age("125000"));
        assertEquals("3 d 4 h", StatusReport.age(Long.toString((3 * 86_400 + 4 * 3600 + 5) * 1000L)));
        assertEquals("-", StatusReport.age(null));
    }
}
