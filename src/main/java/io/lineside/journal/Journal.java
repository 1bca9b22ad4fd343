package io.lineside.journal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.lineside.inspection.Outcome;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The verdict journal: an append-only, hash-chained JSON Lines log.
 *
 * <p>Durability promise: {@link #append} returns only after the record's bytes have been forced to
 * the storage device ({@code FileChannel.force}). Appenders that arrive while a force is in progress
 * are written and forced together by the next one (group commit), so a busy appliance pays one force
 * per group rather than per record, and each caller still returns only once its own record is durable.
 *
 * <p>Files rotate at the first append of a new UTC day and when a file reaches {@code maxFileSize};
 * the chain continues across files. Retention deletes whole files older than {@code retentionDays},
 * after writing an anchor (the hash of the last retired record) that {@link JournalVerifier} starts from.
 */
public final class Journal implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Journal.class);

    /** {@code prevSha256} of the first record ever written. */
    public static final String GENESIS_SHA256 = "0".repeat(64);

    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final int RECENT = 4096;

    /** What readers may see: the newest committed file, its committed length, and the last record's hash. */
    record Head(String file, long size, String sha256, long appendedSinceOpen) {
    }

    private final Path dir;
    private final long maxFileSize;
    private final int retentionDays;
    private final Clock clock;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition written = lock.newCondition();
    private List<Pending> queue = new ArrayList<>();
    private boolean leaderActive;
    private boolean closed;

    // Writer state: touched only by the current leader (or under lock with no leader active).
    private FileChannel channel;
    private String currentFile;
    private long size;
    private String lastSha;
    private Instant lastTime = Instant.EPOCH;
    private boolean needsReopen;

    private volatile Head head;
    private volatile String failure;
    private final Map<String, JournalEntry> recent = Collections.synchronizedMap(
            new LinkedHashMap<>(RECENT * 2, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, JournalEntry> eldest) {
                    return size() > RECENT;
                }
            });

    private Journal(Path dir, long maxFileSize, int retentionDays, Clock clock) {
        this.dir = dir.toAbsolutePath().normalize();
        this.maxFileSize = maxFileSize;
        this.retentionDays = retentionDays;
        this.clock = clock;
    }

    /**
     * Opens (creating if needed) the journal in {@code dir}: finishes an interrupted retention, cuts a torn
     * last line away (kept in a {@code .torn} file beside it), and continues the chain from the last record.
     */
    public static Journal open(Path dir, long maxFileSize, int retentionDays, Clock clock) throws IOException {
        Journal j = new Journal(dir, maxFileSize, retentionDays, clock);
        j.recover();
        return j;
    }

    public Path directory() {
        return dir;
    }

    /** Null while healthy; otherwise why the last append failed (cleared by the next success). */
    public String failure() {
        return failure;
    }

    /** Hash of the last committed record (the head of the chain). */
    public String headSha256() {
        return head.sha256();
    }

    /** Records committed since this journal was opened. */
    public long appendedSinceOpen() {
        return head.appendedSinceOpen();
    }

    Head head() {
        return head;
    }

    // ------------------------------------------------------------------------------------------ writing

    private static final class Pending {
        final Outcome outcome;
        JournalRecord record;
        RuntimeException error;
        boolean done;

        Pending(Outcome outcome) {
            this.outcome = outcome;
        }
    }

    /**
     * Appends the outcome's record and returns it once it is on disk.
     *
     * @throws JournalUnavailableException when the record could not be made durable; it is then not in the journal
     */
    public JournalRecord append(Outcome outcome) {
        Pending p = new Pending(outcome);
        lock.lock();
        try {
            if (closed) {
                throw new JournalUnavailableException("journal is closed", null);
            }
            queue.add(p);
            while (!p.done) {
                if (!leaderActive) {
                    // Become the leader: take everything queued so far and write it as one group.
                    leaderActive = true;
                    List<Pending> batch = queue;
                    queue = new ArrayList<>();
                    lock.unlock();
                    try {
                        writeBatch(batch);
                    } finally {
                        lock.lock();
                        leaderActive = false;
                        for (Pending b : batch) {
                            b.done = true;
                        }
                        written.signalAll();
                    }
                } else {
                    written.awaitUninterruptibly();
                }
            }
        } finally {
            lock.unlock();
        }
        if (p.error != null) {
            throw p.error;
        }
        return p.record;
    }

    private void writeBatch(List<Pending> batch) {
        String shaBefore = lastSha;
        Instant timeBefore = lastTime;
        long sizeBefore = -1;
        try {
            if (needsReopen) {
                reopen();
            }
            Instant now = clock.instant();
            if (now.isBefore(lastTime)) {
                now = lastTime; // keep time non-decreasing along the journal even if the wall clock steps back
            }
            rotateIfNeeded(now);
            sizeBefore = size;
            byte[][] lines = new byte[batch.size()][];
            int total = 0;
            String prev = lastSha;
            for (int i = 0; i < batch.size(); i++) {
                JournalRecord r = JournalRecord.of(batch.get(i).outcome, now, prev);
                byte[] line = MAPPER.writeValueAsBytes(r);
                batch.get(i).record = r;
                lines[i] = line;
                prev = JournalFiles.sha256Hex(line, 0, line.length);
                total += line.length + 1;
            }
            ByteBuffer buf = ByteBuffer.allocate(total);
            for (byte[] line : lines) {
                buf.put(line).put((byte) '\n');
            }
            buf.flip();
            long at = size;
            while (buf.hasRemaining()) {
                at += channel.write(buf, at);
            }
            channel.force(false);
            long offset = size;
            for (int i = 0; i < lines.length; i++) {
                JournalRecord r = batch.get(i).record;
                recent.put(r.id(), new JournalEntry(r, new JournalPosition(currentFile, offset)));
                offset += lines[i].length + 1;
            }
            size += total;
            lastSha = prev;
            lastTime = now;
            head = new Head(currentFile, size, lastSha, head.appendedSinceOpen() + batch.size());
            if (failure != null) {
                LOG.infof("journal %s writable again", dir);
                failure = null;
            }
        } catch (IOException | RuntimeException e) {
            lastSha = shaBefore;
            lastTime = timeBefore;
            undoPartialWrite(sizeBefore);
            String why = describe(e);
            failure = why;
            LOG.errorf(e, "journal append failed, %d record(s) not committed: %s", batch.size(), why);
            JournalUnavailableException error = new JournalUnavailableException("journal unavailable: " + why, e);
            for (Pending b : batch) {
                b.record = null;
                b.error = error;
            }
        }
    }

    /** A failed group must leave no record behind: nobody was told of it. */
    private void undoPartialWrite(long sizeBefore) {
        if (channel == null || sizeBefore < 0) {
            return;
        }
        try {
            if (channel.size() > sizeBefore) {
                channel.truncate(sizeBefore);
                channel.force(true);
            }
        } catch (IOException | RuntimeException e) {
            needsReopen = true; // recovery on the next append re-reads the file's real state
        }
    }

    static String describe(Throwable e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (msg.contains("No space left")) {
            return "disk full (" + msg + ")";
        }
        return e.getClass().getSimpleName() + ": " + msg;
    }

    private void rotateIfNeeded(Instant now) throws IOException {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        if (channel != null && JournalFiles.day(currentFile).equals(today) && size < maxFileSize) {
            return;
        }
        int seq = 1;
        for (String n : JournalFiles.list(dir)) {
            if (JournalFiles.day(n).equals(today)) {
                seq = Math.max(seq, JournalFiles.sequence(n) + 1);
            }
        }
        String name = JournalFiles.name(today, seq);
        FileChannel next = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        JournalFiles.forceDirectory(dir);
        if (channel != null) {
            channel.close();
        }
        channel = next;
        currentFile = name;
        size = 0;
        head = new Head(currentFile, 0, lastSha, head == null ? 0 : head.appendedSinceOpen());
        applyRetention(today);
    }

    /** Deletes whole files older than the retention, after anchoring the chain at the last retired record. */
    private void applyRetention(LocalDate today) {
        if (retentionDays <= 0) {
            return;
        }
        LocalDate cutoff = today.minusDays(retentionDays);
        List<String> retire = new ArrayList<>();
        for (String n : JournalFiles.list(dir)) {
            if (!n.equals(currentFile) && JournalFiles.day(n).isBefore(cutoff)) {
                retire.add(n);
            }
        }
        if (retire.isEmpty()) {
            return;
        }
        try {
            String anchorSha = null;
            for (int i = retire.size() - 1; i >= 0 && anchorSha == null; i--) {
                anchorSha = lastLineSha(dir.resolve(retire.get(i)), Long.MAX_VALUE);
            }
            if (anchorSha == null) {
                anchorSha = readAnchor(dir).map(Anchor::lastSha256).orElse(GENESIS_SHA256);
            }
            writeAnchor(dir, new Anchor(retire.get(retire.size() - 1), anchorSha, clock.instant()));
            deleteRetired(retire);
            LOG.infof("journal retention (%d days): deleted %s", retentionDays, retire);
        } catch (IOException | RuntimeException e) {
            // Retention is housekeeping: the journal keeps working; the next rotation tries again.
            LOG.warnf(e, "journal retention failed");
        }
    }

    private void deleteRetired(List<String> retire) throws IOException {
        for (String n : retire) {
            Files.deleteIfExists(dir.resolve(n));
        }
        JournalFiles.forceDirectory(dir);
    }

    // ------------------------------------------------------------------------------------------ recovery

    private void recover() throws IOException {
        Files.createDirectories(dir);
        Optional<Anchor> anchor = readAnchor(dir);
        if (anchor.isPresent()) {
            // A crash between writing the anchor and deleting the files it retires: finish the deletion.
            List<String> leftover = new ArrayList<>();
            for (String n : JournalFiles.list(dir)) {
                if (n.compareTo(anchor.get().retiredThrough()) <= 0) {
                    leftover.add(n);
                }
            }
            if (!leftover.isEmpty()) {
                deleteRetired(leftover);
            }
        }
        List<String> files = JournalFiles.list(dir);
        lastSha = anchor.map(Anchor::lastSha256).orElse(GENESIS_SHA256);
        if (files.isEmpty()) {
            head = new Head(null, 0, lastSha, 0);
            return;
        }
        String last = files.get(files.size() - 1);
        cutTornTail(dir.resolve(last));
        for (int i = files.size() - 1; i >= 0; i--) {
            Path f = dir.resolve(files.get(i));
            byte[] line = lastLine(f, Long.MAX_VALUE);
            if (line != null) {
                lastSha = JournalFiles.sha256Hex(line, 0, line.length);
                try {
                    lastTime = MAPPER.readValue(line, JournalRecord.class).time();
                } catch (IOException e) {
                    LOG.warnf("journal %s: last record does not parse (%s); verify will report it", f, e.getMessage());
                }
                break;
            }
        }
        if (lastTime == null) {
            lastTime = Instant.EPOCH;
        }
        channel = FileChannel.open(dir.resolve(last), StandardOpenOption.WRITE, StandardOpenOption.READ);
        currentFile = last;
        size = channel.size();
        head = new Head(currentFile, size, lastSha, 0);
        applyRetention(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
    }

    private void reopen() throws IOException {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // reopening anyway
            }
        }
        channel = null;
        long appended = head.appendedSinceOpen();
        recover();
        head = new Head(head.file(), head.size(), head.sha256(), appended);
        needsReopen = false;
    }

    /**
     * A crash mid-write can leave a last line without its newline. It was never acknowledged, so it is cut
     * away; its bytes are kept in {@code <file>.<millis>.torn} for inspection.
     */
    private void cutTornTail(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long len = ch.size();
            if (len == 0) {
                return;
            }
            long keep;
            try (JournalFiles.ReverseLines r = new JournalFiles.ReverseLines(file, len)) {
                byte[] line = r.previous();
                keep = line == null ? 0 : r.offset() + line.length + 1;
            }
            if (keep == len) {
                return;
            }
            ByteBuffer torn = ByteBuffer.allocate((int) Math.min(len - keep, 64L * 1024 * 1024));
            while (torn.hasRemaining() && ch.read(torn, keep + torn.position()) > 0) {
                // read the whole torn tail
            }
            torn.flip();
            Path copy = file.resolveSibling(file.getFileName() + "." + clock.millis() + ".torn");
            try (FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                while (torn.hasRemaining()) {
                    out.write(torn);
                }
                out.force(true);
            }
            ch.truncate(keep);
            ch.force(true);
            JournalFiles.forceDirectory(file.getParent());
            LOG.warnf("journal %s: torn last line of %d bytes (an append interrupted by a crash, never acknowledged) "
                    + "cut away; its bytes are kept in %s; the %d bytes before it are intact", file.getFileName(),
                    len - keep, copy.getFileName(), keep);
        }
    }

    /** The last complete line of a file (up to {@code end}), without its newline; null when none. */
    static byte[] lastLine(Path file, long end) throws IOException {
        try (JournalFiles.ReverseLines r = new JournalFiles.ReverseLines(file, end)) {
            return r.previous();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static String lastLineSha(Path file, long end) throws IOException {
        byte[] line = lastLine(file, end);
        return line == null ? null : JournalFiles.sha256Hex(line, 0, line.length);
    }

    // ------------------------------------------------------------------------------------------ anchor

    /** The chain's starting point after retention: {@code lastSha256} of the newest retired record. */
    @io.quarkus.runtime.annotations.RegisterForReflection
    record Anchor(String retiredThrough, String lastSha256, Instant retiredAt) {
    }

    static Optional<Anchor> readAnchor(Path dir) throws IOException {
        Path p = dir.resolve(JournalFiles.ANCHOR);
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        return Optional.of(MAPPER.readValue(Files.readAllBytes(p), Anchor.class));
    }

    private static void writeAnchor(Path dir, Anchor anchor) throws IOException {
        Path tmp = dir.resolve(JournalFiles.ANCHOR + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(MAPPER.writeValueAsBytes(anchor)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(JournalFiles.ANCHOR), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        JournalFiles.forceDirectory(dir);
    }

    // ------------------------------------------------------------------------------------------ health

    /**
     * After a failure, checks whether the journal can write again (space freed, disk back) without writing
     * a record: a probe file is written, forced and deleted. Returns the failure still standing, or null.
     */
    public String probeRecovery() {
        if (failure == null) {
            return null;
        }
        Path probe = dir.resolve(".probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(new byte[4096]));
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            return describe(e);
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // the probe is harmless
            }
        }
        lock.lock();
        try {
            if (!leaderActive && failure != null) {
                needsReopen = true; // re-read the file's real state before the next append
                failure = null;
                LOG.infof("journal %s writable again", dir);
            }
        } finally {
            lock.unlock();
        }
        return failure;
    }

    // ------------------------------------------------------------------------------------------ reading

    /** A record's JSON exactly as its journal line holds it (so its sha256 is what the next record links to). */
    public static byte[] toJson(JournalRecord record) {
        try {
            return MAPPER.writeValueAsBytes(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JournalRecord parse(byte[] line) {
        try {
            return MAPPER.readValue(line, JournalRecord.class);
        } catch (IOException e) {
            throw new UncheckedIOException("journal record does not parse: " + e.getMessage(), e);
        }
    }

    /** Committed journal files, oldest first, with the length readers may read of each. */
    private List<Map.Entry<String, Long>> readableFiles() {
        return readableFiles(head);
    }

    private List<Map.Entry<String, Long>> readableFiles(Head h) {
        List<Map.Entry<String, Long>> out = new ArrayList<>();
        if (h.file() == null) {
            return out;
        }
        for (String n : JournalFiles.list(dir)) {
            int c = n.compareTo(h.file());
            if (c < 0) {
                out.add(Map.entry(n, Long.MAX_VALUE));
            } else if (c == 0) {
                out.add(Map.entry(n, h.size()));
            }
        }
        return out;
    }

    /** Records newest first, starting just before {@code before} (null: from the newest). Close the cursor. */
    public RecordCursor newestFirst(JournalPosition before) {
        List<Map.Entry<String, Long>> files = readableFiles();
        List<Map.Entry<String, Long>> todo = new ArrayList<>();
        for (int i = files.size() - 1; i >= 0; i--) {
            Map.Entry<String, Long> f = files.get(i);
            if (before == null || f.getKey().compareTo(before.file()) < 0) {
                todo.add(f);
            } else if (f.getKey().equals(before.file())) {
                todo.add(Map.entry(f.getKey(), Math.min(f.getValue(), before.offset())));
            }
        }
        return new FileCursor<JournalFiles.ReverseLines>(todo) {
            @Override
            JournalFiles.ReverseLines open(String name, long limit) throws IOException {
                return new JournalFiles.ReverseLines(dir.resolve(name), limit);
            }

            @Override
            byte[] read(JournalFiles.ReverseLines lines) throws IOException {
                return lines.previous();
            }

            @Override
            long offset(JournalFiles.ReverseLines lines) {
                return lines.offset();
            }
        };
    }

    /** Records oldest first, starting at {@code from} (inclusive; null: the oldest record kept). Close the cursor. */
    public RecordCursor forward(JournalPosition from) {
        return forward(from, head);
    }

    /**
     * A forward cursor (as {@link #forward}) that ends at the head as committed when it was made, with
     * {@link #appendedSinceOpen()} at that same head: a reader that counts what it reads can then tell
     * exactly how many records were committed after its cursor ends (a sink's backlog).
     */
    public record Snapshot(RecordCursor records, long appendedSinceOpen) {
    }

    /** See {@link Snapshot}. Close its cursor. */
    public Snapshot forwardSnapshot(JournalPosition from) {
        Head h = head;
        return new Snapshot(forward(from, h), h.appendedSinceOpen());
    }

    private RecordCursor forward(JournalPosition from, Head h) {
        List<Map.Entry<String, Long>> files = new ArrayList<>();
        for (Map.Entry<String, Long> f : readableFiles(h)) {
            if (from == null || f.getKey().compareTo(from.file()) >= 0) {
                files.add(f);
            }
        }
        return new FileCursor<JournalFiles.ForwardLines>(files) {
            @Override
            JournalFiles.ForwardLines open(String name, long limit) throws IOException {
                long start = from != null && name.equals(from.file()) ? from.offset() : 0;
                return new JournalFiles.ForwardLines(dir.resolve(name), start, limit);
            }

            @Override
            byte[] read(JournalFiles.ForwardLines lines) throws IOException {
                byte[] line = lines.next();
                // An unterminated last line is an append in progress (or torn): not a record yet.
                return line == null || !lines.lastWasTerminated() ? null : line;
            }

            @Override
            long offset(JournalFiles.ForwardLines lines) {
                return lines.offset();
            }
        };
    }

    /**
     * Walks a list of (file name, byte limit) pairs, reading one file's lines at a time with a
     * direction-specific reader; a file retired by retention while the cursor runs is skipped.
     */
    private abstract class FileCursor<L extends AutoCloseable> implements RecordCursor {
        private final List<Map.Entry<String, Long>> files;
        private int fileIndex = -1;
        private L lines;
        private JournalEntry next;

        FileCursor(List<Map.Entry<String, Long>> files) {
            this.files = files;
        }

        abstract L open(String name, long limit) throws IOException;

        /** The next line of the open file, or null at its end. */
        abstract byte[] read(L lines) throws IOException;

        abstract long offset(L lines);

        @Override
        public boolean hasNext() {
            while (next == null) {
                try {
                    if (lines == null) {
                        if (++fileIndex >= files.size()) {
                            return false;
                        }
                        try {
                            lines = open(files.get(fileIndex).getKey(), files.get(fileIndex).getValue());
                        } catch (NoSuchFileException gone) {
                            continue; // retired while we were reading
                        }
                    }
                    byte[] line = read(lines);
                    if (line == null) {
                        closeLines();
                        continue;
                    }
                    next = new JournalEntry(parse(line), new JournalPosition(files.get(fileIndex).getKey(), offset(lines)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return true;
        }

        @Override
        public JournalEntry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            JournalEntry e = next;
            next = null;
            return e;
        }

        @Override
        public void close() {
            closeLines();
        }

        private void closeLines() {
            if (lines != null) {
                try {
                    lines.close();
                } catch (Exception ignored) {
                    // read-only handle
                } finally {
                    lines = null;
                }
            }
        }
    }

    /** The last {@code n} records, oldest first (e.g. the last 1000 for recalibration). */
    public List<JournalRecord> last(int n) {
        List<JournalRecord> out = new ArrayList<>(Math.min(n, 10_000));
        try (RecordCursor c = newestFirst(null)) {
            while (out.size() < n && c.hasNext()) {
                out.add(c.next().record());
            }
        }
        Collections.reverse(out);
        return out;
    }

    /**
     * The record with this id. Recent records are found in memory; older ones by scanning newest first,
     * matching the line's leading {@code {"id":"..."} bytes before parsing anything (about a second per
     * million records from the page cache). A history index can be built from {@link #forward} positions.
     */
    public Optional<JournalEntry> findById(String id) {
        JournalEntry hit = recent.get(id);
        if (hit != null) {
            return Optional.of(hit);
        }
        byte[] prefix;
        try {
            prefix = ("{\"id\":" + MAPPER.writeValueAsString(id) + ",").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Map.Entry<String, Long>> files = readableFiles();
        for (int i = files.size() - 1; i >= 0; i--) {
            String name = files.get(i).getKey();
            try (JournalFiles.ReverseLines r = new JournalFiles.ReverseLines(dir.resolve(name),
                    files.get(i).getValue())) {
                for (byte[] line = r.previous(); line != null; line = r.previous()) {
                    if (startsWith(line, prefix)) {
                        return Optional.of(new JournalEntry(parse(line), new JournalPosition(name, r.offset())));
                    }
                }
            } catch (NoSuchFileException gone) {
                // retired while scanning
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] line, byte[] prefix) {
        if (line.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (line[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Checks the whole chain as committed so far, including that its head is the record this journal wrote last. */
    public VerifyReport verify() {
        Head h = head;
        return JournalVerifier.verify(dir, h.file(), h.size(), h.file() == null ? null : h.sha256());
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            while (leaderActive) {
                written.awaitUninterruptibly();
            }
            if (channel != null) {
                channel.close();
                channel = null;
            }
        } catch (IOException e) {
            LOG.warnf(e, "closing journal");
        } finally {
            lock.unlock();
        }
    }
}
