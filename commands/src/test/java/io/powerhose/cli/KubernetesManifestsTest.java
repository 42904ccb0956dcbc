package io.powerhose.cli;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Kubernetes manifests under docker/k8s, checked for what can be checked without a Kubernetes: each file is
 * YAML, each document has the expected kind, each Deployment's selector matches its pods, each Service selects
 * the pods of one Deployment and names ports its containers declare, and the workers point at a broker Service
 * and the ports it publishes.
 */
class KubernetesManifestsTest {
    private static final Path K8S = Path.of("..", "docker", "k8s").toAbsolutePath().normalize();

    @Test
    void manifestsAreABrokerDeploymentAndServicePerBrokerAndAScalableWorkerDeployment() throws IOException {
        List<Map<String, Object>> documents = load();
        Set<String> kinds = documents.stream().map(d -> kind(d) + "/" + name(d)).collect(Collectors.toCollection(
            TreeSet::new));
        assertEquals(new TreeSet<>(List.of("Deployment/powerhose-broker-a", "Deployment/powerhose-broker-b",
            "Deployment/powerhose-workers", "Service/powerhose-broker-a", "Service/powerhose-broker-b")), kinds);
        for (Map<String, Object> document : documents) {
            assertNotNull(document.get("apiVersion"), name(document));
            if (kind(document).equals("Deployment")) {
                checkDeployment(document);
            } else {
                checkService(document, documents);
            }
        }
        Map<String, Object> workers = find(documents, "Deployment", "powerhose-workers");
        Map<String, Object> brokerService = find(documents, "Service", "powerhose-broker-a");
        List<String> args = strings(container(workers).get("args"));
        assertEquals("powerhose-worker", args.get(0), "workers run the worker command: " + args);
        assertTrue(args.contains("--backend=tcp://powerhose-broker-a:5556"), args.toString());
        assertTrue(args.contains("--heartbeat=tcp://powerhose-broker-a:5557"), args.toString());
        Set<Integer> published = new TreeSet<>();
        for (Map<String, Object> port : maps(map(brokerService, "spec").get("ports"))) {
            published.add((Integer) port.get("port"));
        }
        assertEquals(Set.of(5555, 5556, 5557), published);
        assertTrue(map(workers, "spec").get("replicas") instanceof Integer, "workers scale by replicas");
        assertEquals(1, map(find(documents, "Deployment", "powerhose-broker-a"), "spec").get("replicas"),
            "one pod per broker");
    }

    private static void checkDeployment(Map<String, Object> deployment) {
        Map<String, Object> spec = map(deployment, "spec");
        Map<String, Object> selector = map(map(spec, "selector"), "matchLabels");
        Map<String, Object> podLabels = map(map(map(spec, "template"), "metadata"), "labels");
        for (Map.Entry<String, Object> label : selector.entrySet()) {
            assertEquals(label.getValue(), podLabels.get(label.getKey()), name(deployment)
                + ": the selector matches its own pods");
        }
        Map<String, Object> container = container(deployment);
        assertEquals("powerhose:latest", container.get("image"), name(deployment));
        assertTrue(!strings(container.get("args")).isEmpty(), name(deployment) + " runs a command");
    }

    private static void checkService(Map<String, Object> service, List<Map<String, Object>> documents) {
        Map<String, Object> selector = map(map(service, "spec"), "selector");
        List<Map<String, Object>> selected = new ArrayList<>();
        for (Map<String, Object> document : documents) {
            if (kind(document).equals("Deployment")) {
                Map<String, Object> labels = map(map(map(map(document, "spec"), "template"), "metadata"), "labels");
                if (labels.entrySet().containsAll(selector.entrySet())) {
                    selected.add(document);
                }
            }
        }
        assertEquals(1, selected.size(), name(service) + " selects the pods of exactly one Deployment");
        assertEquals(name(service), name(selected.get(0)), "a broker's Service bears its Deployment's name");
        Set<String> containerPorts = new TreeSet<>();
        for (Map<String, Object> port : maps(container(selected.get(0)).get("ports"))) {
            containerPorts.add((String) port.get("name"));
        }
        for (Map<String, Object> port : maps(map(service, "spec").get("ports"))) {
            assertTrue(containerPorts.contains((String) port.get("targetPort")), name(service) + ": targetPort "
                + port.get("targetPort") + " is a port its pods declare " + containerPorts);
        }
    }

    private static List<Map<String, Object>> load() throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(K8S)) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(!files.isEmpty(), "no manifest in " + K8S);
        for (Path file : files) {
            Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
            for (Object document : yaml.loadAll(Files.readString(file))) {
                if (!(document instanceof Map)) {
                    fail(file + ": a document that is not a mapping: " + document);
                }
                documents.add(cast(document));
            }
        }
        return documents;
    }

    private static Map<String, Object> find(List<Map<String, Object>> documents, String kind, String name) {
        return documents.stream().filter(d -> kind(d).equals(kind) && name(d).equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static Map<String, Object> container(Map<String, Object> deployment) {
        List<Map<String, Object>> containers = maps(map(map(map(deployment, "spec"), "template"), "spec")
            .get("containers"));
        assertEquals(1, containers.size(), name(deployment) + ": one container");
        return containers.get(0);
    }

    private static String kind(Map<String, Object> document) {
        return String.valueOf(document.get("kind"));
    }

    private static String name(Map<String, Object> document) {
        return String.valueOf(map(document, "metadata").get("name"));
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        if (!(value instanceof Map)) {
            throw new AssertionError("expected a mapping at " + key + " in " + parent);
        }
        return cast(value);
    }

    private static List<Map<String, Object>> maps(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new AssertionError("expected a list: " + value);
        }
        List<Map<String, Object>> maps = new ArrayList<>();
        for (Object item : list) {
            maps.add(cast(item));
        }
        return maps;
    }

    private static List<String> strings(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new AssertionError("expected a list: " + value);
        }
        return list.stream().map(String::valueOf).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
