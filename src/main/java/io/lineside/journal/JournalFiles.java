package io.lineside.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** File naming, listing and raw line access for the journal directory. No state. */
final class JournalFiles {

    /** {@code journal-2026-11-28-000001.jsonl}: UTC day, then a sequence; names sort chronologically. */
    static final Pattern NAME = Pattern.compile("journal-(\\d{4}-\\d{2}-\\d{2})-(\\d{6})\\.jsonl");

    /** Written before retention deletes files, so verify can anchor the oldest file that remains. */
    static final String ANCHOR = "journal.anchor";

    private JournalFiles() {
    }

    static String name(LocalDate day, int sequence) {
        return String.format("journal-%s-%06d.jsonl", day, sequence);
    }

    static LocalDate day(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a journal file: " + name);
        }
        return LocalDate.parse(m.group(1));
    }

    static int sequence(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a journal file: " + name);
        }
        return Integer.parseInt(m.group(2));
    }

    /** Journal file names in chronological order (a directory holds few: one per day or per max-file-size). */
    static List<String> list(Path dir) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "journal-*.jsonl")) {
            for (Path p : stream) {
                String n = p.getFileName().toString();
                if (NAME.matcher(n).matches()) {
                    names.add(n);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list journal directory " + dir, e);
        }
        Collections.sort(names);
        return names;
    }

    static String sha256Hex(byte[] bytes, int off, int len) {
        MessageDigest md = sha256();
        md.update(bytes, off, len);
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** fsync a directory so a created, renamed or deleted entry in it survives power loss. */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            // Some file systems refuse to open or sync directories; the entry is then as durable as they make it.
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }

    /**
     * Reads a file's complete lines ('\n'-terminated) backwards from {@code end}, newest first.
     * Each call to {@link #previous()} returns the next older line without its newline, or null.
     */
    static final class ReverseLines implements AutoCloseable {
        private static final int CHUNK = 64 * 1024;
        private final FileChannel ch;
        private byte[] buf = new byte[CHUNK];
        /** Bytes [bufStart, bufStart+bufLen) of the file are in buf[0..bufLen). */
        private long bufStart;
        private int bufLen;
        /** The end (exclusive, excluding its '\n') of the next line to return, as a file offset. */
        private long lineEnd;
        private long lastOffset = -1;

        /** @param end file length to consider; the byte at end-1 should be '\n' */
        ReverseLines(Path file, long end) throws IOException {
            this.ch = FileChannel.open(file, StandardOpenOption.READ);
            long size = Math.min(end, ch.size());
            this.bufStart = size;
            this.bufLen = 0;
            // Skip an unterminated tail: it is not a complete line.
            long lastNewline = findNewlineBefore(size);
            this.lineEnd = lastNewline; // -1 when no complete line
        }

        /** Offset of the line most recently returned by {@link #previous()}. */
        long offset() {
            return lastOffset;
        }

        byte[] previous() throws IOException {
            if (lineEnd < 0) {
                return null;
            }
            long nl = findNewlineBefore(lineEnd);
            long start = nl + 1;
            byte[] line = read(start, (int) (lineEnd - start));
            lastOffset = start;
            lineEnd = nl;
            return line;
        }

        /** Position of the last '\n' strictly before {@code pos}, or -1. */
        private long findNewlineBefore(long pos) throws IOException {
            long p = pos - 1;
            while (p >= 0) {
                if (p < bufStart || p >= bufStart + bufLen) {
                    load(p);
                }
                int i = (int) (p - bufStart);
                while (i >= 0) {
                    if (buf[i] == '\n') {
                        return bufStart + i;
                    }
                    i--;
                }
                p = bufStart - 1;
            }
            return -1;
        }

        /** Loads the chunk ending at (and including) {@code p}. */
        private void load(long p) throws IOException {
            long start = Math.max(0, p + 1 - CHUNK);
            int len = (int) (p + 1 - start);
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
            long at = start;
            while (bb.hasRemaining()) {
                int n = ch.read(bb, at + bb.position());
                if (n < 0) {
                    throw new IOException("journal file shrank while reading");
                }
            }
            bufStart = start;
            bufLen = len;
        }

        private byte[] read(long start, int len) throws IOException {
            byte[] out = new byte[len];
            if (start >= bufStart && start + len <= bufStart + bufLen) {
                System.arraycopy(buf, (int) (start - bufStart), out, 0, len);
                return out;
            }
            ByteBuffer bb = ByteBuffer.wrap(out);
            while (bb.hasRemaining()) {
                int n = ch.read(bb, start + bb.position());
                if (n < 0) {
                    throw new IOException("journal file shrank while reading");
                }
            }
            return out;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    /** Reads a file's lines forward from {@code offset} up to {@code end}; a trailing unterminated tail is reported as such. */
    static final class ForwardLines implements AutoCloseable {
        private final FileChannel ch;
        private final long end;
        private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        private long bufStart;
        private long lineOffset;
        private boolean lastWasTerminated = true;

        ForwardLines(Path file, long offset, long end) throws IOException {
            this.ch = FileChannel.open(file, StandardOpenOption.READ);
            this.end = Math.min(end, ch.size());
            this.bufStart = offset;
            this.buf.limit(0);
        }

        /** Offset of the line most recently returned. */
        long offset() {
            return lineOffset;
        }

        /** False when the line most recently returned had no terminating newline (a torn tail). */
        boolean lastWasTerminated() {
            return lastWasTerminated;
        }

        /** The next line without its newline, or null at the end. */
        byte[] next() throws IOException {
            java.io.ByteArrayOutputStream acc = null;
            long start = bufStart + buf.position();
            while (true) {
                if (!buf.hasRemaining()) {
                    long pos = bufStart + buf.limit();
                    if (pos >= end) {
                        if (acc == null) {
                            return null;
                        }
                        lineOffset = start;
                        lastWasTerminated = false;
                        return acc.toByteArray();
                    }
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), end - pos));
                    int n = 0;
                    while (buf.hasRemaining() && n >= 0) {
                        n = ch.read(buf, pos + buf.position());
                    }
                    buf.flip();
                    bufStart = pos;
                    if (!buf.hasRemaining()) {
                        continue;
                    }
                }
                byte[] a = buf.array();
                int from = buf.position();
                int lim = buf.limit();
                for (int i = from; i < lim; i++) {
                    if (a[i] == '\n') {
                        buf.position(i + 1);
                        lineOffset = start;
                        lastWasTerminated = true;
                        if (acc == null) {
                            byte[] out = new byte[i - from];
                            System.arraycopy(a, from, out, 0, out.length);
                            return out;
                        }
                        acc.write(a, from, i - from);
                        return acc.toByteArray();
                    }
                }
                if (acc == null) {
                    acc = new java.io.ByteArrayOutputStream(256);
                }
                acc.write(a, from, lim - from);
                buf.position(lim);
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
