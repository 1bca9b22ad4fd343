package io.lineside.journal;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Checks the journal's hash chain, read-only, streaming (constant memory whatever the journal's size).
 *
 * <p>The chain starts at the retention anchor when old files were retired (the first record kept must link
 * to the last record retired), otherwise at {@link Journal#GENESIS_SHA256}. Each record's {@code prevSha256}
 * must equal the sha256 of the previous line's bytes, so an edited, inserted or removed record breaks the
 * link just after it. The chain alone cannot show that the very last record was edited or removed; the
 * running appliance closes that gap by also comparing the last record with the head it wrote.
 */
public final class JournalVerifier {

    private JournalVerifier() {
    }

    /** Verifies a journal directory as it is on disk (the command-line form). */
    public static VerifyReport verify(Path dir) {
        return verify(dir, null, Long.MAX_VALUE, null);
    }

    /**
     * @param currentFile  the file being appended to, read only up to {@code committed}; null = read all
     * @param expectedHead sha256 the last record must have (the running journal's head), or null
     */
    static VerifyReport verify(Path dir, String currentFile, long committed, String expectedHead) {
        Optional<Journal.Anchor> anchor;
        try {
            anchor = Journal.readAnchor(dir);
        } catch (IOException e) {
            return new VerifyReport(false, 0, 0, new VerifyReport.Broken(JournalFiles.ANCHOR, 1,
                    "retention anchor unreadable: " + e.getMessage()));
        }
        List<String> files = JournalFiles.list(dir);
        String expected = anchor.map(Journal.Anchor::lastSha256).orElse(Journal.GENESIS_SHA256);
        String startsFrom = anchor.isPresent()
                ? "the retention anchor (last record of retired " + anchor.get().retiredThrough() + ")"
                : "the genesis value (no file was ever retired)";
        long records = 0;
        int checkedFiles = 0;
        String lastFile = null;
        long lastLine = 0;
        for (String name : files) {
            if (anchor.isPresent() && name.compareTo(anchor.get().retiredThrough()) <= 0) {
                continue; // retired; deleted at the next start
            }
            if (currentFile != null && name.compareTo(currentFile) > 0) {
                break; // created by a rotation after the snapshot
            }
            checkedFiles++;
            long end = name.equals(currentFile) ? committed : Long.MAX_VALUE;
            long lineNo = 0;
            try (JournalFiles.ForwardLines lines = new JournalFiles.ForwardLines(dir.resolve(name), 0, end)) {
                for (byte[] line = lines.next(); line != null; line = lines.next()) {
                    lineNo++;
                    if (!lines.lastWasTerminated()) {
                        return broken(records, checkedFiles, name, lineNo,
                                "torn last line (no newline: an append cut short by a crash; it is cut away "
                                        + "and kept in a .torn file when the appliance next starts)");
                    }
                    JsonNode node;
                    try {
                        node = Journal.MAPPER.readTree(line);
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        return broken(records, checkedFiles, name, lineNo, "not a valid JSON record: " + e.getOriginalMessage());
                    }
                    String missing = missingField(node);
                    if (missing != null) {
                        return broken(records, checkedFiles, name, lineNo, "record lacks " + missing);
                    }
                    String prev = node.get("prevSha256").asText();
                    if (!prev.equals(expected)) {
                        String what = records == 0 && lineNo == 1
                                ? "the first record does not link to " + startsFrom
                                        + ": a journal file or records before this one were removed"
                                : "prevSha256 does not match the sha256 of the previous record"
                                        + (lineNo > 1 ? " (line " + (lineNo - 1) + ")" : " (last line of the previous file)")
                                        + ": a record was edited, inserted or removed";
                        return broken(records, checkedFiles, name, lineNo, what);
                    }
                    expected = JournalFiles.sha256Hex(line, 0, line.length);
                    records++;
                    lastFile = name;
                    lastLine = lineNo;
                }
            } catch (NoSuchFileException e) {
                return broken(records, checkedFiles, name, 0, "journal file vanished while verifying");
            } catch (IOException e) {
                return broken(records, checkedFiles, name, lineNo, "unreadable: " + e.getMessage());
            }
        }
        if (expectedHead != null && !expectedHead.equals(expected)) {
            return broken(records, checkedFiles, lastFile == null ? currentFile : lastFile, lastLine,
                    "the last record is not the one this appliance wrote last: it was edited or removed");
        }
        return new VerifyReport(true, records, checkedFiles, null);
    }

    private static String missingField(JsonNode node) {
        if (!node.isObject()) {
            return "a JSON object";
        }
        for (String f : new String[] {"id", "time", "source", "name", "prevSha256"}) {
            if (!node.hasNonNull(f)) {
                return "field " + f;
            }
        }
        if (!node.hasNonNull("verdict") && !(node.has("rejected") && node.get("rejected").asBoolean())) {
            return "a verdict or rejected:true";
        }
        return null;
    }

    private static VerifyReport broken(long records, int files, String file, long line, String reason) {
        return new VerifyReport(false, records, files, new VerifyReport.Broken(file, line, reason));
    }
}
