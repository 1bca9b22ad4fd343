package io.lineside.calibration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationRootTest {

    @TempDir
    Path tmp;
    Path root;
    Path outside;
    CalibrationRoot calibrationRoot;

    @BeforeEach
    void layout() throws IOException {
        root = Files.createDirectories(tmp.resolve("calibration"));
        outside = Files.createDirectories(tmp.resolve("secrets"));
        Files.writeString(outside.resolve("passwd.png"), "not for you");
        Files.createDirectories(root.resolve("line3/good"));
        Files.write(root.resolve("line3/good/b.png"), new byte[]{1});
        Files.write(root.resolve("line3/good/a.PNG"), new byte[]{1});
        Files.write(root.resolve("line3/good/c.jpeg"), new byte[]{1});
        Files.write(root.resolve("line3/good/notes.txt"), new byte[]{1});
        Files.write(root.resolve("line3/good/.hidden.png"), new byte[]{1});
        Files.createDirectories(root.resolve("line3/good/sub.png"));
        calibrationRoot = new CalibrationRoot(root);
    }

    @Test
    void resolvesFoldersUnderTheRoot() throws IOException {
        Path expected = root.resolve("line3/good").toRealPath();
        assertEquals(expected, calibrationRoot.resolveFolder("line3/good"));
        assertEquals(expected, calibrationRoot.resolveFolder("line3/./good/"));
        assertEquals(expected, calibrationRoot.resolveFolder("line3/other/../good"));
        assertEquals(expected, calibrationRoot.resolveFolder(expected.toString()), "an absolute path under the root");
        assertEquals(root.toRealPath(), calibrationRoot.resolveFolder("."));
    }

    @Test
    void traversalIsRefused() {
        for (String attempt : List.of("..", "../secrets", "line3/../../secrets", "line3/good/../../../secrets",
                outside.toString(), "/etc", "/", "../calibration-evil", root + "/../secrets")) {
            CalibrationRefused r = assertThrows(CalibrationRefused.class, () -> calibrationRoot.resolveFolder(attempt), attempt);
            assertEquals(403, r.status(), attempt);
            assertEquals("path-outside-root", r.error(), attempt);
        }
    }

    @Test
    void siblingWithSamePrefixIsNotUnderTheRoot() throws IOException {
        Files.createDirectories(tmp.resolve("calibration-evil"));
        assertEquals(403, assertThrows(CalibrationRefused.class,
                () -> calibrationRoot.resolveFolder(tmp.resolve("calibration-evil").toString())).status());
    }

    @Test
    void symbolicLinkLeadingOutIsRefused() throws IOException {
        Files.createSymbolicLink(root.resolve("escape"), outside);
        Files.createDirectories(root.resolve("deep"));
        Files.createSymbolicLink(root.resolve("deep/up"), root.getParent());
        for (String attempt : List.of("escape", "escape/", "deep/up/secrets")) {
            CalibrationRefused r = assertThrows(CalibrationRefused.class, () -> calibrationRoot.resolveFolder(attempt), attempt);
            assertEquals(403, r.status(), attempt);
        }
    }

    @Test
    void symbolicLinkStayingInsideIsFollowed() throws IOException {
        Files.createSymbolicLink(root.resolve("today"), root.resolve("line3/good"));
        assertEquals(root.resolve("line3/good").toRealPath(), calibrationRoot.resolveFolder("today"));
    }

    @Test
    void imageFileLinkingOutIsRefused() throws IOException {
        Files.createSymbolicLink(root.resolve("line3/good/d.png"), outside.resolve("passwd.png"));
        Path folder = calibrationRoot.resolveFolder("line3/good");
        CalibrationRefused r = assertThrows(CalibrationRefused.class, () -> calibrationRoot.imagesIn(folder, 100));
        assertEquals(403, r.status());
        assertTrue(r.detail().contains("d.png"));
    }

    @Test
    void listsImageFilesOnlySortedByName() throws IOException {
        List<Path> images = calibrationRoot.imagesIn(calibrationRoot.resolveFolder("line3/good"), 100);
        assertEquals(List.of("a.PNG", "b.png", "c.jpeg"),
                images.stream().map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void tooManyImagesIsRefused() {
        Path folder = calibrationRoot.resolveFolder("line3/good");
        assertEquals(413, assertThrows(CalibrationRefused.class, () -> calibrationRoot.imagesIn(folder, 2)).status());
    }

    @Test
    void missingFoldersAndRootAreReportedClearly() throws IOException {
        assertEquals(404, assertThrows(CalibrationRefused.class, () -> calibrationRoot.resolveFolder("line9")).status());
        assertEquals(400, assertThrows(CalibrationRefused.class, () -> calibrationRoot.resolveFolder("line3/good/b.png")).status());
        assertEquals(400, assertThrows(CalibrationRefused.class, () -> calibrationRoot.resolveFolder(" ")).status());
        assertEquals(400, assertThrows(CalibrationRefused.class, () -> calibrationRoot.resolveFolder("a\0b")).status());
        CalibrationRoot missing = new CalibrationRoot(tmp.resolve("nowhere"));
        CalibrationRefused r = assertThrows(CalibrationRefused.class, () -> missing.resolveFolder("x"));
        assertEquals(409, r.status());
        assertTrue(r.detail().contains("lineside.calibration.root"));
    }
}
