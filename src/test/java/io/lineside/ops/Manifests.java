package io.lineside.ops;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads YAML (single and multi-document) and JSON for the deployment tests. */
final class Manifests {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path MONITORING = Tools.ROOT.resolve("k8s/monitoring");
    static final Path RULES = MONITORING.resolve("lineside-rules.yml");
    static final Path PROMETHEUS_RULE = MONITORING.resolve("prometheusrule.yaml");
    static final Path DASHBOARD = MONITORING.resolve("grafana-dashboard.json");

    static JsonNode yaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is not valid YAML", e);
        }
    }

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is not valid JSON", e);
        }
    }

    static List<JsonNode> documents(String multiDocumentYaml) {
        try (JsonParser parser = YAML.getFactory().createParser(multiDocumentYaml)) {
            List<JsonNode> documents = new ArrayList<>();
            for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
                JsonNode document = it.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
            return documents;
        } catch (IOException e) {
            throw new UncheckedIOException("rendered manifests are not valid YAML", e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Manifests() {
    }
}
