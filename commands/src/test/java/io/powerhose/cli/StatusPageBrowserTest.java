package io.powerhose.cli;

import io.powerhose.Client;
import io.powerhose.ClientOptions;
import io.powerhose.Job;
import io.powerhose.PowerhoseException;
import io.powerhose.testing.TestCluster;
import io.powerhose.testing.TestCluster.ManagedProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, "Tests", second item: the status page in a real browser (Debian's headless Chromium, installed when
 * missing): a broker command with {@code --metrics}, two worker processes and a load; the rendered page shows both
 * workers and a non-zero rate; a worker killed with SIGKILL is gone from the page within a few seconds. The
 * screenshots stay in {@code commands/target/} for a person to look at.
 */
@Tag("slow")
@Timeout(300)
class StatusPageBrowserTest {
    private static final Pattern URL = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/metrics");
    /** A laptop's screen, less the browser's own bars. */
    private static final int WIDTH = 1366;
    private static final int HEIGHT = 800;
    /** What the page shows, as one JSON object: the workers' pids in the table, the rate, the last update. */
    private static final String READ_PAGE = "JSON.stringify({"
        + "pids: Array.from(document.querySelectorAll('#workers tbody tr')).map(r => r.dataset.pid),"
        + "rate: Number(document.getElementById('rate').dataset.value),"
        + "rateText: document.getElementById('rate').textContent,"
        + "updated: Number(document.body.dataset.updated || 0),"
        + "connection: document.getElementById('connection-text').textContent})";

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void thePageShowsBothWorkersAndTheRateAndAKilledWorkerLeavesIt() throws Exception {
        Chromium.ensureInstalled();
        ManagedProcess broker = cluster.startBrokerCommand(List.of(), "--metrics", "127.0.0.1:0");
        int port = port(broker);
        ManagedProcess first = cluster.startJavaWorker("io.powerhose.testing.TestTargets::spin");
        ManagedProcess second = cluster.startJavaWorker("io.powerhose.testing.TestTargets::spin");
        cluster.awaitWorkers(2);
        Client client = cluster.client(ClientOptions.builder().timeout(Duration.ofSeconds(30))
            .timeoutMaxOverflow(Duration.ofSeconds(60)));
        AtomicBoolean running = new AtomicBoolean(true);
        List<CompletableFuture<Void>> load = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            load.add(CompletableFuture.runAsync(() -> {
                while (running.get()) {
                    try {
                        client.execute(new Job("5")); // 5 ms of CPU in a worker
                    } catch (PowerhoseException e) {
                        // the job that ran on the killed worker
                    }
                }
            }));
        }
        Path screenshots = Path.of("target").toAbsolutePath();
        try (Chromium chromium = Chromium.start(WIDTH, HEIGHT)) {
            chromium.navigate("http://127.0.0.1:" + port + "/");
            String[] seen = {""};
            TestCluster.await(() -> {
                seen[0] = chromium.evaluate(READ_PAGE);
                if (seen[0] == null) {
                    return false; // still loading
                }
                Map<String, Object> page = TestJson.object(seen[0]);
                List<?> pids = (List<?>) page.get("pids");
                return pids.contains(Long.toString(first.pid())) && pids.contains(Long.toString(second.pid()))
                    && (Double) page.get("rate") > 0;
            }, Duration.ofSeconds(30), () -> "the page never showed both workers and a rate: " + seen[0] + "\n"
                + chromium.stderr());
            chromium.screenshot(screenshots.resolve("status-page.png"));

            first.kill();
            long killedNs = System.nanoTime();
            TestCluster.await(() -> {
                seen[0] = chromium.evaluate(READ_PAGE);
                if (seen[0] == null) {
                    return false;
                }
                List<?> pids = (List<?>) TestJson.object(seen[0]).get("pids");
                return !pids.contains(Long.toString(first.pid())) && pids.contains(Long.toString(second.pid()));
            }, Duration.ofSeconds(5), () -> "the killed worker (pid " + first.pid() + ") is still on the page 5 s "
                + "later: " + seen[0]);
            long goneMs = (System.nanoTime() - killedNs) / 1_000_000;
            chromium.screenshot(screenshots.resolve("status-page-after-kill.png"));
            Map<String, Object> page = TestJson.object(chromium.evaluate(READ_PAGE));
            assertEquals("live", page.get("connection"), "the page still polls: " + page);
            assertTrue(goneMs < 5_000, "gone after " + goneMs + " ms");
            System.out.println("the killed worker left the page after " + goneMs + " ms; screenshots in "
                + screenshots);
        } finally {
            running.set(false);
            for (CompletableFuture<Void> f : load) {
                f.exceptionally(e -> null).get(60, TimeUnit.SECONDS);
            }
        }
        assertTrue(Files.size(screenshots.resolve("status-page.png")) > 10_000, "a real picture");
    }

    private static int port(ManagedProcess broker) {
        int[] port = {0};
        TestCluster.await(() -> {
            Matcher m = URL.matcher(broker.log());
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
            }
            return port[0] > 0;
        }, Duration.ofSeconds(20), () -> "the broker did not log its metrics address:\n" + broker.log());
        return port[0];
    }
}
