package io.powerhose.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ./bench.sh}'s main in smoke mode (one fork, sub-second iterations, a 1 ms job, round trips over
 * ipc with Java workers, a short floor, the metrics on/off comparison) and checks that every benchmark produced a
 * number and every file was written. It checks that the bench works, not how fast Powerhose is.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BenchSmokeTest {

    @Test
    void smokeRunMeasuresEveryModeAndWritesTheResults(@TempDir Path out) throws Exception {
        Path nativeDir = Path.of("..", "native", "build").toAbsolutePath().normalize();
        BenchOptions options = BenchOptions.parse(new String[] {"--smoke", "--threads", "2", "--workers", "2",
            "--metrics"}, out, Files.isExecutable(nativeDir.resolve("zmq-floor")) ? nativeDir : null);
        ByteArrayOutputStream console = new ByteArrayOutputStream();

        List<OffloadPoint> points = Bench.run(options, new PrintStream(console, true, StandardCharsets.UTF_8));

        String report = console.toString(StandardCharsets.UTF_8);
        assertEquals(1, points.size(), report);
        OffloadPoint p = points.get(0);
        assertTrue(p.inProcess() > 0 && p.sync() > 0 && p.async() > 0, report);
        assertTrue(p.jobMs() > 0.2 && p.jobMs() < 5, "calibrated 1 ms job took " + p.jobMs() + " ms\n" + report);
        assertTrue(p.checkPowerhoseMs() > 0, report);
        assertTrue(report.contains("verdict: offloading a 1 ms job"), report);
        assertTrue(report.contains("== The issue's targets"), report);
        assertTrue(options.metrics(), "--metrics parsed");
        List<String> lines = report.lines().toList();
        int table = lines.indexOf(lines.stream().filter(l -> l.startsWith("== Metrics on vs off")).findFirst()
            .orElse(""));
        String metricsRow = table >= 0 && table + 2 < lines.size() ? lines.get(table + 2) : "";
        assertTrue(metricsRow.matches("Java +[0-9,]+ +[0-9,]+ +[0-9.]+% +[0-9.]+% .*")
            && !metricsRow.contains("NaN"), "metrics row: '" + metricsRow + "'\n" + report);
        assertTrue(report.contains("metrics on within 5% of off"), report);
        for (String file : List.of("jmh-offload.json", "jmh-roundtrip.json", "offload.svg", "report.txt",
            "facts.txt", "jmh.log", "jmh-metrics.json")) {
            assertTrue(Files.size(out.resolve(file)) > 0, file + " missing\n" + report);
        }
        String svg = Files.readString(out.resolve("offload.svg"));
        assertTrue(svg.startsWith("<svg") && svg.contains("in-process") && svg.trim().endsWith("</svg>"), svg);
        assertTrue(Files.readString(out.resolve("jmh-roundtrip.json")).contains("PingBenchmark.ping"));
    }

    @Test
    void costsAcceptMillisecondsWithOrWithoutUnit() {
        BenchOptions o = BenchOptions.parse(new String[] {"--cost", "1ms,20ms,0.05,500us", "--threads=4"},
            Path.of("x"), null);
        assertEquals(List.of("1", "20", "0.05", "0.5"), o.costsMs());
        assertEquals(4, o.threads());
        assertEquals(BenchOptions.Mode.QUICK, o.mode());
    }
}
