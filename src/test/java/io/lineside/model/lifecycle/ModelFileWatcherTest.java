package io.lineside.model.lifecycle;

import io.lineside.model.ActiveModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The polling logic of the model file watcher, driven poll by poll (no timing involved). */
class ModelFileWatcherTest {

    @TempDir
    Path dir;
    Path file;
    ModelFileWatcher watcher;
    final List<byte[]> loaded = new ArrayList<>();
    boolean refuse;
    long clock = 1_700_000_000_000L;

    @BeforeEach
    void setUp() throws IOException {
        file = dir.resolve("model.onnx");
        write(file, "model-A");
        watcher = new ModelFileWatcher();
        watcher.activeModel = new ActiveModel();
        watcher.lifecycle = new ModelLifecycle() {
            @Override
            public ReloadReport replaceFromFile(byte[] onnx, Path from) {
                assertEquals(file.toAbsolutePath(), from);
                loaded.add(onnx);
                if (refuse) {
                    throw new ModelRefused(422, "invalid-model", "refused by the test", null);
                }
                return null;
            }

            @Override
            public void recordUnreadable(Path from, String message) {
                throw new AssertionError("unexpected unreadable " + message);
            }
        };
        watcher.start(file);
    }

    /** Writes with a distinct modification time, so the test does not depend on the clock's resolution. */
    void write(Path target, String content) throws IOException {
        Files.writeString(target, content);
        Files.setLastModifiedTime(target, FileTime.fromMillis(clock += 1000));
    }

    void polls(int n) {
        for (int i = 0; i < n; i++) {
            watcher.poll();
        }
    }

    @Test
    void unchangedFileIsNotReloaded() {
        polls(5);
        assertEquals(0, loaded.size());
    }

    @Test
    void changedFileIsLoadedOnceItHasSettled() throws IOException {
        write(file, "model-B");
        watcher.poll();
        assertEquals(0, loaded.size(), "changed at this poll: wait one interval");
        watcher.poll();
        assertEquals(1, loaded.size());
        assertArrayEquals("model-B".getBytes(), loaded.get(0));
        polls(3);
        assertEquals(1, loaded.size(), "loaded once");
    }

    @Test
    void fileStillBeingWrittenIsNotReadEarly() throws IOException {
        Files.writeString(file, "mod", StandardOpenOption.TRUNCATE_EXISTING);
        Files.setLastModifiedTime(file, FileTime.fromMillis(clock += 1000));
        watcher.poll();
        Files.writeString(file, "el-C-part", StandardOpenOption.APPEND);
        Files.setLastModifiedTime(file, FileTime.fromMillis(clock += 1000));
        watcher.poll();
        Files.writeString(file, "-2", StandardOpenOption.APPEND);
        Files.setLastModifiedTime(file, FileTime.fromMillis(clock += 1000));
        watcher.poll();
        assertEquals(0, loaded.size(), "never read while growing");
        watcher.poll();
        assertEquals(List.of("model-C-part-2"), loaded.stream().map(String::new).toList());
    }

    @Test
    void replaceByRenameIsSeen() throws IOException {
        Path staged = dir.resolve(".model.onnx.new");
        write(staged, "model-D");
        Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        polls(2);
        assertEquals(List.of("model-D"), loaded.stream().map(String::new).toList());
    }

    @Test
    void touchedButIdenticalContentIsNotReloaded() throws IOException {
        write(file, "model-B");
        polls(2);
        Files.setLastModifiedTime(file, FileTime.fromMillis(clock += 5000));
        polls(3);
        assertEquals(1, loaded.size(), "same sha256 as the last handled content");
    }

    @Test
    void refusedModelIsNotRetriedUntilTheFileChangesAgain() throws IOException {
        refuse = true;
        write(file, "broken");
        polls(2);
        assertEquals(1, loaded.size());
        polls(5);
        assertEquals(1, loaded.size(), "the same refused content is not loaded again and again");
        refuse = false;
        write(file, "fixed");
        polls(2);
        assertEquals(List.of("broken", "fixed"), loaded.stream().map(String::new).toList());
    }

    @Test
    void vanishedFileKeepsTheModelAndIsPickedUpWhenBack() throws IOException {
        Files.delete(file);
        polls(3);
        assertEquals(0, loaded.size());
        write(file, "model-E");
        polls(2);
        assertEquals(List.of("model-E"), loaded.stream().map(String::new).toList());
    }
}
