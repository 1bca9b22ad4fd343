package io.lineside.ingest.folder;

import io.lineside.config.LinesideConfig;
import io.lineside.inspection.ImageInput;
import io.lineside.inspection.InspectionPipeline;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.RejectReason;
import io.lineside.journal.Journal;
import io.lineside.journal.JournalEntry;
import io.lineside.journal.JournalRecord;
import io.lineside.journal.RecordCursor;
import io.lineside.model.ActiveModel;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The watched folder: every complete image dropped into {@code lineside.folder.path} gets exactly one verdict.
 *
 * <p>One poller thread finds settled files and claims a batch by atomic rename into the work area
 * ({@link WorkArea}), forcing the directory so a claim survives a crash; a small pool (the model's
 * concurrency) inspects them through the pipeline, which journals each outcome durably before anyone is
 * told; then each file is moved to {@code archive/{good|defect|rejected}/yyyy-MM-dd/} beside a sidecar
 * {@code <name>.json} holding its journal record. The poller waits for a batch before claiming more, so
 * memory and the work area stay bounded whatever the backlog.
 *
 * <p>After a crash, files left in the work area are finished first: one whose verdict is already in the
 * journal is only moved; any other is inspected. Failures (model, journal, archive, disk) leave the file in
 * the work area, make readiness DOWN with the reason, and are retried with back-off; the loop never stops.
 */
@ApplicationScoped
public class FolderSource {

    private static final Logger LOG = Logger.getLogger(FolderSource.class);
    static final String SOURCE = "folder";
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final long CENSUS_INTERVAL_NANOS = 2_000_000_000L;

    @Inject
    LinesideConfig config;

    @Inject
    InspectionPipeline pipeline;

    @Inject
    Journal journal;

    @Inject
    MeterRegistry registry;

    @Inject
    ActiveModel activeModel;

    private Path inbox;
    private WorkArea work;
    private Archive archive;
    private InboxScanner scanner;
    private ExecutorService workers;
    private Thread poller;
    private int batchSize;
    private volatile boolean running;

    /** Why the inbox cannot be served (missing, unreadable); null when fine. */
    private volatile String inboxProblem;
    /** Set while there is no model to inspect with (start-up, or a refused model). */
    private volatile String modelProblem;
    /** Why the last attempt to finish a file failed (model, journal, archive, disk); null when fine. */
    private volatile String processingProblem;
    private volatile long backlog;
    private volatile long oldestMtimeMillis;
    private volatile long unreadable;
    private long lastCensusNanos;
    private final Set<String> claimFailuresLogged = java.util.Collections.newSetFromMap(
            new java.util.LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > 1000;
                }
            });

    void start(@Observes StartupEvent event) {
        LinesideConfig.Folder c = config.folder();
        if (!c.enabled()) {
            LOG.info("folder source disabled (lineside.folder.enabled=false)");
            return;
        }
        inbox = c.path().toAbsolutePath().normalize();
        work = new WorkArea(inbox);
        archive = new Archive(c.archive());
        Path excluded = archive.root().startsWith(inbox) ? archive.root() : null;
        scanner = new InboxScanner(inbox, excluded, c.recursive(), c.settle().toNanos());
        try {
            Files.createDirectories(inbox);
            Files.createDirectories(archive.root());
        } catch (IOException e) {
            inboxProblem = "cannot create folders: " + describe(e);
            LOG.error(inboxProblem);
        }
        int modelConcurrency = config.model().concurrency()
                .orElse(config.model().threads().orElse(Runtime.getRuntime().availableProcessors()));
        int workerCount = Math.max(1, Math.min(modelConcurrency, 8));
        batchSize = Math.max(32, workerCount * 8);
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(workerCount, r -> {
            Thread t = new Thread(r, "lineside-folder-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Gauge.builder("lineside.folder.backlog", this, s -> s.backlog)
                .description("Files waiting in the watched folder (including claimed files not yet archived)")
                .register(registry);
        Gauge.builder("lineside.folder.oldest.age.seconds", this, FolderSource::oldestAgeSeconds)
                .description("Age of the oldest file waiting in the watched folder, by its modification time; 0 when none")
                .register(registry);
        running = true;
        poller = new Thread(this::loop, "lineside-folder-poller");
        poller.setDaemon(true);
        poller.start();
        LOG.infof("watching %s every %s (settle %s, %s, on-done=%s, %d worker(s)), archive %s", inbox,
                c.pollInterval(), c.settle(), c.recursive() ? "recursive" : "top level only",
                c.onDone().name().toLowerCase(), workerCount, archive.root());
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (poller == null) {
            return;
        }
        poller.interrupt();
        try {
            poller.join(15_000);
            workers.shutdown();
            workers.awaitTermination(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For readiness: null when the folder is served, otherwise why not. */
    public String problem() {
        String p = inboxProblem;
        if (p == null) {
            p = modelProblem;
        }
        return p != null ? p : processingProblem;
    }

    public boolean enabled() {
        return running;
    }

    public long backlog() {
        return backlog;
    }

    public long unreadableFiles() {
        return unreadable;
    }

    public Path inbox() {
        return inbox;
    }

    Path archiveRoot() {
        return archive.root();
    }

    /** True when no claimed file is waiting in the work area (for tests and diagnostics). */
    boolean backlogIsClaimedEmpty() {
        try {
            return work.list(1).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    double oldestAgeSeconds() {
        long oldest = oldestMtimeMillis;
        return oldest == 0 ? 0 : Math.max(0, (System.currentTimeMillis() - oldest) / 1000.0);
    }

    // ------------------------------------------------------------------------------------------ the loop

    private void loop() {
        long backoff = config.folder().pollInterval().toMillis();
        boolean recovered = false;
        while (running) {
            boolean busy = false;
            try {
                if (!inboxUsable()) {
                    backoff = sleepBackoff(backoff);
                    continue;
                }
                if (activeModel.current().isEmpty()) {
                    // Start-up (model still loading) or no valid model: files wait where they are.
                    String why = "waiting for a model: " + activeModel.unavailableReason();
                    if (!why.equals(modelProblem)) {
                        LOG.info(why);
                    }
                    modelProblem = why;
                    Thread.sleep(config.folder().pollInterval().toMillis());
                    continue;
                }
                modelProblem = null;
                // Files already claimed come first: after a crash, and after a failure (with back-off).
                List<WorkArea.Claim> pending = work.list(batchSize);
                if (!pending.isEmpty()) {
                    if (!recovered) {
                        LOG.infof("finishing %d file(s) claimed before a restart", pending.size());
                    }
                    if (process(pending, true) > 0) {
                        backoff = sleepBackoff(backoff);
                        continue;
                    }
                    busy = true;
                }
                recovered = true;
                backoff = config.folder().pollInterval().toMillis();
                long now = System.nanoTime();
                if (now - lastCensusNanos >= CENSUS_INTERVAL_NANOS) {
                    census();
                    lastCensusNanos = System.nanoTime();
                }
                List<String> ready = scanner.ready(batchSize, now);
                if (!ready.isEmpty()) {
                    List<WorkArea.Claim> claims = claim(ready);
                    if (!claims.isEmpty() && process(claims, false) > 0) {
                        backoff = sleepBackoff(backoff);
                        continue;
                    }
                    busy = ready.size() >= batchSize;
                }
                if (!busy) {
                    if (processingProblem == null && backlog > 0 && ready.isEmpty()) {
                        census(); // keep the gauges honest once a burst has drained
                    }
                    Thread.sleep(config.folder().pollInterval().toMillis());
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (Throwable t) {
                // The loop never stops: report, back off, try again.
                setProcessingProblem("folder loop: " + describe(t), t);
                backoff = sleepBackoff(backoff);
            }
        }
    }

    private long sleepBackoff(long backoff) {
        try {
            Thread.sleep(backoff);
        } catch (InterruptedException e) {
            // shutting down, or woken early: either way the loop re-checks
        }
        return Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
    }

    private boolean inboxUsable() {
        String problem = null;
        if (!Files.exists(inbox)) {
            problem = "inbox folder missing: " + inbox;
        } else if (!Files.isDirectory(inbox)) {
            problem = "inbox is not a folder: " + inbox;
        } else if (!Files.isReadable(inbox)) {
            problem = "inbox folder unreadable: " + inbox;
        } else if (!Files.isWritable(inbox)) {
            problem = "inbox folder not writable (files cannot be claimed): " + inbox;
        } else {
            try {
                work.create();
            } catch (IOException e) {
                problem = "cannot create the work area in " + inbox + ": " + describe(e);
            }
        }
        if (problem != null && !problem.equals(inboxProblem)) {
            LOG.errorf("%s (retrying; nothing in it is lost)", problem);
        } else if (problem == null && inboxProblem != null) {
            LOG.infof("inbox %s usable again", inbox);
        }
        inboxProblem = problem;
        return problem == null;
    }

    private void census() throws IOException {
        InboxScanner.Census c = scanner.census();
        long claimed = work.list(batchSize).size();
        backlog = c.waiting() + claimed;
        oldestMtimeMillis = c.oldestMtimeMillis();
        if (c.unreadable() > 0 && c.unreadable() != unreadable) {
            LOG.warnf("%d file(s) in %s cannot be read by lineside (permissions?): they stay there until readable",
                    c.unreadable(), inbox);
        }
        unreadable = c.unreadable();
    }

    /** Claims by atomic rename, then forces the directories so no claim is undone by a crash after its verdict. */
    private List<WorkArea.Claim> claim(List<String> ready) throws IOException {
        List<WorkArea.Claim> claims = new ArrayList<>();
        Set<Path> dirs = new LinkedHashSet<>();
        for (String rel : ready) {
            scanner.forget(rel);
            Path source = scanner.resolve(rel);
            try {
                work.claim(source, rel, System.currentTimeMillis()).ifPresent(c -> {
                    claims.add(c);
                    dirs.add(source.getParent());
                });
            } catch (IOException e) {
                // Said once per file (it is retried every pass and would flood the log otherwise).
                if (claimFailuresLogged.add(rel)) {
                    LOG.warnf("cannot claim %s (left in place, retried): %s", source, describe(e));
                }
            }
        }
        if (!claims.isEmpty()) {
            dirs.add(work.claimedDir());
            for (Path d : dirs) {
                forceDirectory(d);
            }
        }
        return claims;
    }

    /** Finishes claimed files on the worker pool; returns how many failed (they stay claimed). */
    private int process(List<WorkArea.Claim> claims, boolean mayBeJournaled) throws InterruptedException {
        Map<String, JournalRecord> known = mayBeJournaled ? findJournaled(claims) : Map.of();
        List<Future<String>> results = new ArrayList<>();
        for (WorkArea.Claim c : claims) {
            results.add(workers.submit(() -> finish(c, known.get(c.fileName()))));
        }
        int failed = 0;
        String firstFailure = null;
        for (Future<String> f : results) {
            try {
                String failure = f.get();
                if (failure != null) {
                    failed++;
                    firstFailure = firstFailure == null ? failure : firstFailure;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                failed++;
                firstFailure = firstFailure == null ? describe(e.getCause()) : firstFailure;
            }
        }
        if (failed > 0) {
            setProcessingProblem(failed + " file(s) could not be finished, kept in " + work.claimedDir()
                    + " and retried: " + firstFailure, null);
        } else if (processingProblem != null) {
            LOG.infof("folder source working again (was: %s)", processingProblem);
            processingProblem = null;
        }
        return failed;
    }

    private void setProcessingProblem(String problem, Throwable t) {
        if (!problem.equals(processingProblem)) {
            if (t != null) {
                LOG.error(problem, t);
            } else {
                LOG.error(problem);
            }
        }
        processingProblem = problem;
    }

    /**
     * One claimed file to its end: inspected (unless its verdict is already journaled), then archived or deleted.
     * Returns null when done, otherwise why not (the file stays claimed and is retried).
     */
    private String finish(WorkArea.Claim claim, JournalRecord journaled) {
        try {
            Optional<WorkArea.Plan> plan = work.readPlan(claim);
            if (plan.isEmpty()) {
                JournalRecord record = journaled != null ? journaled : inspect(claim);
                plan = Optional.of(planFor(claim, record));
                work.writePlan(claim, plan.get());
            } else if (plan.get().destination() != null) {
                archive.reserve(plan.get().destination());
            }
            complete(claim, plan.get());
            return null;
        } catch (Exception e) {
            return claim.relativePath() + ": " + describe(e);
        }
    }

    /** Through the pipeline, which journals the outcome before anyone is told; returns its journal record. */
    private JournalRecord inspect(WorkArea.Claim claim) throws IOException {
        Path file = work.path(claim);
        Instant receivedAt = Instant.ofEpochMilli(claim.claimedAtMillis());
        long maxBytes = config.limits().maxBytes().asLongValue();
        long size = Files.size(file);
        Outcome outcome;
        if (size > maxBytes) {
            // Refused unread: a huge file must not be loaded into memory to find out it is too large.
            outcome = pipeline.reject(claim.relativePath(), SOURCE, receivedAt, RejectReason.TOO_LARGE,
                    "file is " + size + " bytes, over lineside.limits.max-bytes (" + maxBytes + ")");
        } else {
            byte[] bytes = Files.readAllBytes(file);
            outcome = pipeline.inspect(new ImageInput(bytes, claim.relativePath(), SOURCE, receivedAt));
        }
        return journal.findById(outcome.id()).map(JournalEntry::record)
                .orElseThrow(() -> new IllegalStateException("outcome " + outcome.id() + " is not in the journal"));
    }

    private WorkArea.Plan planFor(WorkArea.Claim claim, JournalRecord record) throws IOException {
        String json = new String(Journal.toJson(record), StandardCharsets.UTF_8);
        if (!record.wasRejected() && config.folder().onDone() == LinesideConfig.Folder.OnDone.DELETE) {
            return new WorkArea.Plan(null, json);
        }
        String category = record.wasRejected() ? "rejected" : record.verdict().toLowerCase(java.util.Locale.ROOT);
        LocalDate day = LocalDate.ofInstant(record.time(), ZoneId.systemDefault());
        return new WorkArea.Plan(archive.choose(category, day, claim.relativePath()), json);
    }

    /** Sidecar first, then the image, then the plan goes: an archived image always has its sidecar. */
    private void complete(WorkArea.Claim claim, WorkArea.Plan plan) throws IOException {
        Path file = work.path(claim);
        if (plan.destination() == null) {
            Files.deleteIfExists(file); // on-done=delete: the journal holds the verdict
            work.deletePlan(claim);
            return;
        }
        Path image = archive.resolve(plan.destination());
        archive.writeSidecar(image, plan.recordJson().getBytes(StandardCharsets.UTF_8));
        if (Files.exists(file)) {
            if (Files.exists(image)) {
                // A copy to another file system finished before a crash; only the delete is left.
                if (Files.size(image) != Files.size(file)) {
                    throw new IOException("archive holds a different " + image + " than the claimed file");
                }
                Files.delete(file);
            } else {
                archive.moveIn(file, image);
            }
        }
        archive.release(plan.destination());
        work.deletePlan(claim);
    }

    /**
     * Claimed files whose outcome is already in the journal: found by name and image hash among the records
     * committed since the earliest claim (records are in time order, so the search stops there).
     */
    private Map<String, JournalRecord> findJournaled(List<WorkArea.Claim> claims) {
        Map<String, JournalRecord> found = new HashMap<>();
        Map<String, String> hashes = new HashMap<>();
        Map<String, Long> sizes = new HashMap<>();
        long since = Long.MAX_VALUE;
        long maxBytes = config.limits().maxBytes().asLongValue();
        for (WorkArea.Claim c : claims) {
            try {
                long size = Files.size(work.path(c));
                sizes.put(c.fileName(), size);
                if (size <= maxBytes) {
                    hashes.put(c.fileName(), sha256(work.path(c)));
                }
            } catch (NoSuchFileException e) {
                continue; // moved already; its plan finishes it
            } catch (IOException e) {
                LOG.warnf("cannot read claimed %s: %s", c.fileName(), describe(e));
            }
            since = Math.min(since, c.claimedAtMillis());
        }
        if (since == Long.MAX_VALUE) {
            return found;
        }
        try (RecordCursor cursor = journal.newestFirst(null)) {
            while (cursor.hasNext() && found.size() < claims.size()) {
                JournalRecord r = cursor.next().record();
                if (r.time().toEpochMilli() < since) {
                    break;
                }
                if (!SOURCE.equals(r.source())) {
                    continue;
                }
                for (WorkArea.Claim c : claims) {
                    if (found.containsKey(c.fileName()) || !c.relativePath().equals(r.name())
                            || r.time().toEpochMilli() < c.claimedAtMillis()) {
                        continue;
                    }
                    String hash = hashes.get(c.fileName());
                    boolean sameBytes = hash != null ? hash.equals(r.imageSha256())
                            : r.imageSha256() == null && sizes.containsKey(c.fileName());
                    if (sameBytes) {
                        found.put(c.fileName(), r);
                        break;
                    }
                }
            }
        }
        if (!found.isEmpty()) {
            LOG.infof("%d claimed file(s) already have their verdict in the journal: only moving them", found.size());
        }
        return found;
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void forceDirectory(Path dir) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir,
                java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // SMB and some NFS clients cannot sync a directory; the rename is then as durable as they make it.
        }
    }

    static String describe(Throwable e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (msg.contains("No space left")) {
            return "disk full (" + msg + ")";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + msg;
        }
        if (e instanceof NoSuchFileException) {
            return "missing: " + msg;
        }
        return e.getClass().getSimpleName() + ": " + msg;
    }
}
