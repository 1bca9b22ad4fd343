package io.lineside.ingest.camera;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shipped sample images (src/main/resources/samples/{good,defect}), served by the test camera. */
final class Samples {

    private static final Path ROOT = Path.of("src/main/resources/samples");

    private Samples() {
    }

    static List<byte[]> of(String kind) {
        try (Stream<Path> files = Files.list(ROOT.resolve(kind))) {
            List<byte[]> found = files.filter(p -> p.getFileName().toString().matches(".*\\.(png|jpg|jpeg|bmp)"))
                    .sorted().map(Samples::read).toList();
            if (found.isEmpty()) {
                throw new IllegalStateException("no " + kind + " samples under " + ROOT);
            }
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException("the samples under " + ROOT + " are missing", e);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
