package io.lineside.ingest.folder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Temporary inbox, archive and journal for one packaged-app run, and ways to look at them. */
final class FolderScene {

    static final ObjectMapper JSON = new ObjectMapper();

    final Path root;
    final Path inbox;
    final Path archive;
    final Path journal;

    FolderScene(String name) throws IOException {
        Path base = Path.of("target", "it");
        Files.createDirectories(base);
        root = Files.createTempDirectory(base.toAbsolutePath(), name + "-");
        inbox = root.resolve("inbox");
        archive = root.resolve("archive");
        journal = root.resolve("journal");
    }

    Map<String, String> properties() throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        if (!Files.exists(EMBEDDED_MODEL)) {
            // Before the trainer's default model is in the tree: a small contract-valid model built in-test.
            Path model = root.resolve("model.onnx");
            Files.write(model, io.lineside.model.OnnxModelBuilder.valid(1, 64, 64).build());
            p.put("lineside.model.path", model.toString());
        }
        p.put("lineside.folder.path", inbox.toString());
        p.put("lineside.folder.archive", archive.toString());
        p.put("lineside.journal.path", journal.toString());
        p.put("lineside.retention.path", root.resolve("images").toString());
        p.put("lineside.calibration.state-file", root.resolve("threshold.json").toString());
        return p;
    }

    Path log() {
        return root.resolve("app.log");
    }

    static final Path EMBEDDED_MODEL = Path.of("src", "main", "resources", "lineside", "default-model.onnx");

    /** The sample images shipped with the appliance (good and defective parts); drawn parts until they exist. */
    static List<byte[]> samples() throws IOException {
        Path dir = Path.of("src", "main", "resources", "samples");
        List<byte[]> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return drawnParts();
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString().toLowerCase();
                if (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp")) {
                    out.add(Files.readAllBytes(p));
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no sample images in " + dir.toAbsolutePath());
        }
        return out;
    }

    /** Gray ring-shaped parts, two of them with a dark blow hole, as PNG. */
    static List<byte[]> drawnParts() throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(128, 128,
                    java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            java.awt.Graphics2D g = img.createGraphics();
            g.setColor(new java.awt.Color(40, 40, 40));
            g.fillRect(0, 0, 128, 128);
            g.setColor(new java.awt.Color(180, 180, 180));
            g.fillOval(20 + k, 20, 88, 88);
            g.setColor(new java.awt.Color(40, 40, 40));
            g.fillOval(50, 50, 28, 28);
            if (k >= 2) {
                g.setColor(java.awt.Color.BLACK);
                g.fillOval(30, 60, 10, 10);
            }
            g.dispose();
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(img, "png", png);
            out.add(png.toByteArray());
        }
        return out;
    }

    /** Archived images (not sidecars, not temporaries), by path relative to the archive. */
    List<Path> archivedImages() throws IOException {
        if (!Files.exists(archive)) {
            return List.of();
        }
        for (int attempt = 0; ; attempt++) {
            try (Stream<Path> s = Files.walk(archive)) {
                return s.filter(Files::isRegularFile)
                        .filter(p -> !p.getFileName().toString().endsWith(".json"))
                        .filter(p -> !p.getFileName().toString().startsWith("."))
                        .map(archive::relativize).sorted().toList();
            } catch (java.io.UncheckedIOException e) {
                // a temporary file of the running appliance vanished mid-walk: look again
                if (attempt > 20) {
                    throw e.getCause();
                }
            }
        }
    }

    /** Every journal record, oldest first. */
    List<JsonNode> journalRecords() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(journal)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(journal)) {
            files = s.filter(p -> p.getFileName().toString().matches("journal-.*\\.jsonl")).sorted().toList();
        }
        for (Path f : files) {
            for (String line : Files.readAllLines(f)) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    /** Regular files still in the inbox or its work area. */
    List<Path> leftInInbox() throws IOException {
        try (Stream<Path> s = Files.walk(inbox)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    static Map<String, Integer> countBy(List<String> names) {
        Map<String, Integer> counts = new HashMap<>();
        for (String n : names) {
            counts.merge(n, 1, Integer::sum);
        }
        return counts;
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    int archivedCount() {
        try {
            return archivedImages().size();
        } catch (IOException e) {
            return -1;
        }
    }
}
