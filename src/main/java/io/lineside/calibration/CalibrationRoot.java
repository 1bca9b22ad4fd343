package io.lineside.calibration;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The only part of the file system a calibration request may read: {@code lineside.calibration.root}.
 *
 * <p>A requested folder is resolved against the root (an absolute path is taken as it is), normalised,
 * and then resolved to its real path, following every symbolic link; it must still lie under the
 * root's real path. So {@code ../}, absolute paths elsewhere and symbolic links that lead out are all
 * refused, and so is every image file in the folder whose real path leaves the root.
 */
public final class CalibrationRoot {

    /** Extensions of the image files taken from a folder (case-insensitive). */
    static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

    private final Path root;

    public CalibrationRoot(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Resolves {@code requested} to a real directory under the root, or refuses it (400/403/404). */
    public Path resolveFolder(String requested) {
        if (requested == null || requested.isBlank()) {
            throw new CalibrationRefused(400, "invalid-folder", "folder is empty");
        }
        if (requested.indexOf('\0') >= 0) {
            throw new CalibrationRefused(400, "invalid-folder", "folder contains a NUL character");
        }
        Path rootReal = rootRealPath();
        Path candidate;
        try {
            Path asked = Path.of(requested);
            candidate = (asked.isAbsolute() ? asked : root.resolve(asked)).normalize();
        } catch (InvalidPathException e) {
            throw new CalibrationRefused(400, "invalid-folder", "folder is not a valid path: " + e.getReason());
        }
        // Lexical check first: catches ../ and foreign absolute paths even when they do not exist.
        if (!candidate.startsWith(root) && !candidate.startsWith(rootReal)) {
            throw outside(requested);
        }
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            throw new CalibrationRefused(404, "folder-not-found",
                    "No folder '" + requested + "' under the calibration root " + root);
        } catch (IOException e) {
            throw new CalibrationRefused(404, "folder-not-found",
                    "Folder '" + requested + "' cannot be read: " + e.getClass().getSimpleName());
        }
        // Real-path check: catches symbolic links (anywhere on the way) that lead out of the root.
        if (!real.startsWith(rootReal)) {
            throw outside(requested);
        }
        if (!Files.isDirectory(real)) {
            throw new CalibrationRefused(400, "not-a-folder", "'" + requested + "' is not a folder");
        }
        return real;
    }

    /**
     * The image files directly in {@code folder} (not in subfolders), sorted by name; hidden files
     * and other extensions are skipped. A file whose real path leaves the root is refused (403).
     */
    public List<Path> imagesIn(Path folder, int maxImages) {
        Path rootReal = rootRealPath();
        List<Path> images = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".") || !IMAGE_EXTENSIONS.contains(extension(name))) {
                    continue;
                }
                Path real = entry.toRealPath();
                if (!real.startsWith(rootReal)) {
                    throw new CalibrationRefused(403, "path-outside-root",
                            "'" + name + "' links outside the calibration root " + root);
                }
                if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                images.add(real);
                if (images.size() > maxImages) {
                    throw new CalibrationRefused(413, "too-many-images",
                            "The folder holds more than lineside.calibration.max-images = " + maxImages + " images");
                }
            }
        } catch (IOException e) {
            throw new CalibrationRefused(500, "folder-unreadable",
                    "Cannot list the calibration folder: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        images.sort(null);
        return images;
    }

    private Path rootRealPath() {
        try {
            return root.toRealPath();
        } catch (IOException e) {
            throw new CalibrationRefused(409, "no-calibration-root",
                    "The calibration root " + root + " (lineside.calibration.root) does not exist; "
                            + "create it and copy folders of good images into it");
        }
    }

    private CalibrationRefused outside(String requested) {
        return new CalibrationRefused(403, "path-outside-root",
                "'" + requested + "' is outside the calibration root " + root + " (lineside.calibration.root)");
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
