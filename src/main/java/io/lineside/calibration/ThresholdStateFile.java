package io.lineside.calibration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Reads and writes {@link ThresholdState} as JSON. Writes are atomic: a temporary file in the same
 * folder is written and forced to disk, then renamed over the old file, and the folder is forced,
 * so after a crash the file holds either the old or the new state, never a torn one.
 */
public final class ThresholdStateFile {

    private static final Logger LOG = Logger.getLogger(ThresholdStateFile.class);

    private final Path file;
    private final ObjectMapper json = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public ThresholdStateFile(Path file) {
        this.file = file.toAbsolutePath().normalize();
    }

    public Path path() {
        return file;
    }

    /**
     * The persisted state, if any. A file that cannot be parsed is reported and ignored (the model's
     * own threshold then applies) rather than stopping the appliance; it is left in place for a person
     * to look at, and the next applied calibration replaces it.
     */
    public Optional<ThresholdState> read() {
        try {
            ThresholdState state = json.readValue(Files.readAllBytes(file), ThresholdState.class);
            if (state.modelSha256() == null || !Double.isFinite(state.threshold())) {
                LOG.errorf("Ignoring threshold state file %s: it names no model sha256 or no finite threshold", file);
                return Optional.empty();
            }
            return Optional.of(state);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.errorf("Ignoring unreadable threshold state file %s (%s); the model's threshold applies",
                    file, String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            return Optional.empty();
        }
    }

    /** Replaces the persisted state atomically. */
    public void write(ThresholdState state) {
        try {
            Path dir = file.getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer bytes = ByteBuffer.wrap(json.writeValueAsBytes(state));
                    while (bytes.hasRemaining()) {
                        ch.write(bytes);
                    }
                    ch.force(true);
                }
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the file system of " + dir + " cannot rename atomically", e);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            forceDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write threshold state file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void forceDirectory(Path dir) {
        // Makes the rename durable on Linux; not supported everywhere (e.g. Windows), where it is skipped.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }
}
