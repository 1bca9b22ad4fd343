package io.lineside.sinks;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineside.journal.JournalPosition;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A sink's persisted journal cursor: the position and id of the last record the peer acknowledged,
 * in one small JSON file beside the journal ({@code <journal dir>/sink-<name>.cursor}), e.g.
 * {@code {"file":"journal-2026-12-07-000001.jsonl","offset":18231,"id":"01J..."}}.
 * It is replaced atomically (write a temporary file, force it, rename over, force the directory),
 * so after any crash it holds either the old or the new cursor, never a torn one.
 */
public final class SinkCursor {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Where a sink stands: after the record {@code id} at {@code file}/{@code offset}; a null file means before the first record. */
    @RegisterForReflection
    public record Saved(String file, long offset, String id) {
        public static final Saved START = new Saved(null, 0, null);

        public JournalPosition position() {
            return file == null ? null : new JournalPosition(file, offset);
        }
    }

    private final Path file;

    public SinkCursor(Path journalDir, String sink) {
        this.file = journalDir.toAbsolutePath().normalize().resolve("sink-" + sink + ".cursor");
    }

    public Path file() {
        return file;
    }

    /** The saved cursor, or empty when this sink never saved one. */
    public Optional<Saved> load() throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(MAPPER.readValue(Files.readAllBytes(file), Saved.class));
        } catch (IOException e) {
            throw new IOException("sink cursor " + file + " does not parse (" + e.getMessage()
                    + "); delete it to republish from the start of the journal", e);
        }
    }

    public void save(Saved cursor) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(MAPPER.writeValueAsBytes(cursor));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the rename itself must survive a power cut
        } catch (IOException ignored) {
            // some file systems cannot force a directory; the rename is still atomic
        }
    }
}
