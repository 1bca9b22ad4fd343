package io.lineside.calibration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThresholdStateFileTest {

    @TempDir
    Path tmp;

    static ThresholdState state(String sha, double threshold) {
        return new ThresholdState(sha, threshold, 0.01, 120, 120, 0.012, Instant.parse("2026-11-28T19:00:00Z"),
                "folder:line3/good");
    }

    @Test
    void roundTripsAndReplacesAtomically() throws IOException {
        ThresholdStateFile file = new ThresholdStateFile(tmp.resolve("data/threshold.json"));
        assertEquals(Optional.empty(), file.read(), "no file yet");
        file.write(state("ab12", 0.031));
        assertEquals(Optional.of(state("ab12", 0.031)), file.read());
        file.write(state("cd34", 0.045));
        assertEquals(Optional.of(state("cd34", 0.045)), file.read());
        try (var listing = Files.list(tmp.resolve("data"))) {
            assertEquals(1, listing.count(), "no temporary file left behind");
        }
        String text = Files.readString(file.path());
        assertTrue(text.contains("\"modelSha256\" : \"cd34\""), text);
        assertTrue(text.contains("2026-11-28T19:00:00Z"), "time is ISO-8601: " + text);
    }

    @Test
    void appliesOnlyToTheModelItNames() {
        ThresholdState s = state("AB12", 0.031);
        assertTrue(s.appliesTo("ab12"));
        assertFalse(s.appliesTo("ab13"));
        assertFalse(s.appliesTo(null));
    }

    @Test
    void aCorruptFileIsIgnoredNotFatal() throws IOException {
        Path path = tmp.resolve("threshold.json");
        Files.writeString(path, "{\"modelSha256\": \"ab12\", \"thresh");
        assertEquals(Optional.empty(), new ThresholdStateFile(path).read());
        Files.writeString(path, "{\"threshold\": 0.5}");
        assertEquals(Optional.empty(), new ThresholdStateFile(path).read(), "no model named");
        assertTrue(Files.exists(path), "left for a person to look at");
    }
}
