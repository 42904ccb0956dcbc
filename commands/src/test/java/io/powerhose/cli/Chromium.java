package io.powerhose.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven over its DevTools protocol with the JDK's own WebSocket client: open a page,
 * evaluate a script in it, take a screenshot. No Node, no driver download. Started with a fresh profile and the
 * flags that keep it off the network (this machine's is closed); closed by its own {@link Process} handle.
 */
final class Chromium implements AutoCloseable {
    /** Where Debian's chromium package puts the browser. */
    static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://[^\\s]+)");

    private final Process process;
    private final Path profile;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<Integer, CompletableFuture<Map<String, Object>>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private final StringBuilder stderr = new StringBuilder();
    private WebSocket page;

    private Chromium(Process process, Path profile) {
        this.process = process;
        this.profile = profile;
    }

    /**
     * Installs Debian's chromium when missing, as {@code bin/ensure-deps} does for the other packages.
     *
     * @throws IllegalStateException when it is missing and cannot be installed (not root)
     */
    static void ensureInstalled() throws IOException, InterruptedException {
        if (Files.isExecutable(BINARY)) {
            return;
        }
        Path ensureDeps = Path.of("..", "bin", "ensure-deps").toAbsolutePath().normalize();
        Process install = new ProcessBuilder(ensureDeps.toString(), "--browser").inheritIO().start();
        if (!install.waitFor(15, TimeUnit.MINUTES)) {
            install.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("installing chromium took more than 15 min");
        }
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " missing and " + ensureDeps + " --browser could not install it"
                + " (exit " + install.exitValue() + ")");
        }
    }

    /**
     * Starts a headless browser with a window of a laptop's size.
     *
     * @param width the window's width in CSS pixels
     * @param height its height
     * @return the browser, with no page open yet
     */
    static Chromium start(int width, int height) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("powerhose-chromium-");
        List<String> command = List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic", "--hide-scrollbars", "--user-data-dir=" + profile,
            "--window-size=" + width + "," + height, "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", "about:blank");
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Chromium chromium = new Chromium(process, profile);
        try {
            chromium.connect();
        } catch (IOException | RuntimeException | InterruptedException e) {
            chromium.close();
            throw e;
        }
        return chromium;
    }

    /** Reads the DevTools address from stderr, opens a page target and connects to it. */
    private void connect() throws IOException, InterruptedException {
        CompletableFuture<String> browserUrl = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (stderr) {
                        stderr.append(line).append('\n');
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        browserUrl.complete(m.group(1));
                    }
                }
            } catch (IOException e) {
                // the browser ended
            }
            browserUrl.completeExceptionally(new IllegalStateException("chromium ended: " + stderr()));
        }, "chromium-stderr");
        reader.setDaemon(true);
        reader.start();
        String ws;
        try {
            ws = browserUrl.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("chromium did not open its DevTools port: " + e + "\n" + stderr(), e);
        }
        URI browser = URI.create(ws);
        String base = "http://" + browser.getHost() + ":" + browser.getPort();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/json/new?"
            + URLEncoder.encode("about:blank", StandardCharsets.UTF_8))).PUT(HttpRequest.BodyPublishers.noBody())
            .build(), HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 200) {
            throw new IllegalStateException("cannot open a page: HTTP " + created.statusCode() + " " + created.body());
        }
        String pageUrl = (String) TestJson.object(created.body()).get("webSocketDebuggerUrl");
        page = http.newWebSocketBuilder().buildAsync(URI.create(pageUrl), new Listener()).join();
    }

    /**
     * Sends one DevTools command to the page and waits for its answer.
     *
     * @param method e.g. {@code Page.navigate}
     * @param paramsJson its parameters as a JSON object
     * @return the answer's {@code result}
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> call(String method, String paramsJson) {
        int id = nextId.incrementAndGet();
        CompletableFuture<Map<String, Object>> answer = new CompletableFuture<>();
        pending.put(id, answer);
        page.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + paramsJson + "}", true)
            .join();
        try {
            Map<String, Object> message = answer.get(30, TimeUnit.SECONDS);
            if (message.containsKey("error")) {
                throw new IllegalStateException(method + " failed: " + message.get("error"));
            }
            return (Map<String, Object>) message.get("result");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(method + ": no answer: " + e + "\n" + stderr(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } finally {
            pending.remove(id);
        }
    }

    /**
     * Opens a URL in the page.
     *
     * @param url the address
     */
    void navigate(String url) {
        call("Page.navigate", "{\"url\":\"" + url + "\"}");
    }

    /**
     * Evaluates a script in the page that returns a string.
     *
     * @param expression the script
     * @return its value, or null
     */
    @SuppressWarnings("unchecked")
    String evaluate(String expression) {
        StringBuilder json = new StringBuilder("{\"returnByValue\":true,\"expression\":\"");
        for (char c : expression.toCharArray()) {
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                default -> json.append(c);
            }
        }
        Map<String, Object> result = (Map<String, Object>) call("Runtime.evaluate", json.append("\"}").toString())
            .get("result");
        Object value = result == null ? null : result.get("value");
        return value == null ? null : value.toString();
    }

    /**
     * Saves what the page shows.
     *
     * @param file where the PNG goes
     */
    void screenshot(Path file) throws IOException {
        String data = (String) call("Page.captureScreenshot", "{\"format\":\"png\"}").get("data");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(data));
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (page != null) {
                page.abort();
            }
        } finally {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (ProcessHandle child : children) {
                child.destroyForcibly(); // by pid, each one this browser started; already gone after its orderly exit
            }
            try (Stream<Path> files = Files.walk(profile)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                // a file the browser still held: the temp dir's cleaner gets it
            }
        }
    }

    /** Collects whole messages and completes the command each answers. */
    private final class Listener implements WebSocket.Listener {
        private final List<CharSequence> parts = new ArrayList<>();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            parts.add(data.toString());
            if (last) {
                String message = String.join("", parts);
                parts.clear();
                Map<String, Object> parsed = TestJson.object(message);
                Object id = parsed.get("id");
                if (id instanceof Double number) {
                    CompletableFuture<Map<String, Object>> answer = pending.get(number.intValue());
                    if (answer != null) {
                        answer.complete(parsed);
                    }
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}
