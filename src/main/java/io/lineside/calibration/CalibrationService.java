package io.lineside.calibration;

import ai.onnxruntime.OrtException;
import io.lineside.config.LinesideConfig;
import io.lineside.inspection.InspectionPipeline;
import io.lineside.inspection.Verdict;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.lifecycle.ModelLifecycle;
import io.lineside.scoring.ImageDecoder;
import io.lineside.scoring.ImageRejectedException;
import io.lineside.scoring.ScoringSlot;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Recalibration on the box: scores good images with the model in service, through the same decoder,
 * preprocessing and score function as inspections, and sets the threshold by the trainer's order
 * statistic ({@link OrderStatistic}). Nothing changes unless {@code apply} is asked for; an applied
 * threshold is persisted first (so it survives a restart) and then put in force.
 *
 * <p>All images are scored by the one model taken at the start, even if the model is swapped
 * meanwhile; applying is then refused, since the threshold belongs to a model no longer in service.
 * Images are read one at a time, so memory does not grow with their number.
 */
@ApplicationScoped
public class CalibrationService {

    private static final Logger LOG = Logger.getLogger(CalibrationService.class);
    /** How many unusable images a refusal names. */
    private static final int NAMED_FAILURES = 10;

    @Inject
    ActiveModel activeModel;

    @Inject
    InspectionPipeline pipeline;

    @Inject
    LinesideConfig config;

    @Inject
    RecentVerdicts recent;

    @Inject
    ModelLifecycle lifecycle;

    /** One good image to score: a display name and the file holding it. */
    public record CalibrationImage(String name, Path file) {
    }

    /** Calibrates from a folder under {@code lineside.calibration.root}. */
    public CalibrationReport fromFolder(String folder, double alpha, boolean apply) {
        OrderStatistic.rank(0, alpha); // refuses an invalid alpha before touching the disk
        CalibrationRoot root = new CalibrationRoot(config.calibration().root());
        Path dir = root.resolveFolder(folder);
        List<CalibrationImage> images = root.imagesIn(dir, config.calibration().maxImages()).stream()
                .map(p -> new CalibrationImage(p.getFileName().toString(), p))
                .toList();
        Path relative = rootReal(root).relativize(dir);
        return calibrate(images, alpha, apply, "folder:" + (relative.toString().isEmpty() ? "." : relative));
    }

    /** Calibrates from uploaded files (already size-checked by the caller). */
    public CalibrationReport fromUploads(List<CalibrationImage> images, double alpha, boolean apply) {
        return calibrate(images, alpha, apply, "upload");
    }

    CalibrationReport calibrate(List<CalibrationImage> images, double alpha, boolean apply, String source) {
        OrderStatistic.rank(0, alpha);
        if (images.isEmpty()) {
            throw new CalibrationRefused(400, "no-images", "No good images to calibrate with (" + source
                    + "); send PNG, JPEG or BMP files");
        }
        if (images.size() > config.calibration().maxImages()) {
            throw new CalibrationRefused(413, "too-many-images", images.size()
                    + " images is more than lineside.calibration.max-images = " + config.calibration().maxImages());
        }
        int needed = OrderStatistic.imagesNeeded(alpha);
        if (images.size() < needed) {
            throw new CalibrationRefused(422, "too-few-images", String.format(Locale.ROOT,
                    "alpha=%s needs at least %d good images (k = ceil((n+1)(1-alpha)) must not exceed n); got %d",
                    alpha, needed, images.size()));
        }
        LoadedModel model = activeModel.acquire();
        try {
            double[] scores = score(model, images);
            OrderStatistic.Calibrated c = OrderStatistic.calibrate(scores, alpha);
            LoadedModel.Threshold old = model.threshold();
            CalibrationReport.VerdictChanges changes = verdictChanges(model.bundle().sha256(), c.threshold());
            String persistedTo = null;
            if (apply) {
                ThresholdState state = new ThresholdState(model.bundle().sha256(), c.threshold(), alpha, c.n(), c.k(),
                        c.median(), Instant.now(), source);
                persistedTo = lifecycle.applyCalibratedThreshold(model, state).toString();
            }
            double[] sorted = scores.clone();
            Arrays.sort(sorted);
            var id = model.bundle().identity();
            LOG.infof("calibration from %s on model sha256=%s: n=%d alpha=%s k=%d threshold %s -> %s%s",
                    source, id.sha256(), c.n(), alpha, c.k(), old.value(), c.threshold(),
                    apply ? " (applied)" : " (not applied: apply=true applies it)");
            return new CalibrationReport(new CalibrationReport.Model(id.name(), id.version(), id.sha256()), source,
                    c.n(), alpha, c.k(), old.value(), old.source().name().toLowerCase(Locale.ROOT), c.threshold(),
                    new CalibrationReport.Scores(sorted[0], c.median(), sorted[sorted.length - 1]),
                    changes, apply, persistedTo);
        } finally {
            model.release();
        }
    }

    private double[] score(LoadedModel model, List<CalibrationImage> images) {
        ImageDecoder decoder = new ImageDecoder(pipeline.limits());
        long maxBytes = pipeline.limits().maxBytes();
        double[] scores = new double[images.size()];
        List<String> unusable = new ArrayList<>();
        int failures = 0;
        for (int i = 0; i < images.size(); i++) {
            CalibrationImage image = images.get(i);
            String problem;
            try {
                long size = Files.size(image.file());
                if (size > maxBytes) {
                    problem = "too-large (" + size + " bytes; lineside.limits.max-bytes is " + maxBytes + ")";
                } else {
                    // Decoded exactly as inspections decode it, so the threshold fits the scores it will meet.
                    BufferedImage decoded = decoder.decode(Files.readAllBytes(image.file()),
                            model.scorer().geometry());
                    try (ScoringSlot slot = model.scorer().acquire()) {
                        slot.preprocess(decoded);
                        slot.infer();
                        scores[i] = slot.score();
                    }
                    continue;
                }
            } catch (ImageRejectedException e) {
                problem = e.reason().label() + " (" + e.getMessage() + ")";
            } catch (IOException e) {
                problem = "unreadable (" + e.getClass().getSimpleName() + ")";
            } catch (OrtException e) {
                throw new CalibrationRefused(500, "inference-failed", "Inference failed on " + image.name() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CalibrationRefused(503, "interrupted", "Interrupted while waiting for a scoring slot");
            }
            failures++;
            if (unusable.size() < NAMED_FAILURES) {
                unusable.add(image.name() + ": " + problem);
            }
        }
        if (failures > 0) {
            // A calibration set with unusable files is not the set that was meant: refuse rather than shrink n.
            throw new CalibrationRefused(422, "unusable-images", failures + " of " + images.size()
                    + " images cannot be scored, nothing was calibrated; remove or fix them: "
                    + String.join("; ", unusable) + (failures > unusable.size() ? "; ..." : ""));
        }
        return scores;
    }

    private CalibrationReport.VerdictChanges verdictChanges(String modelSha256, double newThreshold) {
        List<RecentVerdicts.Verdicted> last = recent.last(RecentVerdicts.CAPACITY);
        int same = 0;
        int goodToDefect = 0;
        int defectToGood = 0;
        for (RecentVerdicts.Verdicted v : last) {
            if (!modelSha256.equals(v.modelSha256())) {
                continue;
            }
            same++;
            Verdict now = v.score() > newThreshold ? Verdict.DEFECT : Verdict.GOOD;
            if (v.verdict() == Verdict.GOOD && now == Verdict.DEFECT) {
                goodToDefect++;
            } else if (v.verdict() == Verdict.DEFECT && now == Verdict.GOOD) {
                defectToGood++;
            }
        }
        return new CalibrationReport.VerdictChanges(RecentVerdicts.CAPACITY, last.size(), same,
                goodToDefect + defectToGood, goodToDefect, defectToGood, recent.description());
    }

    private static Path rootReal(CalibrationRoot root) {
        try {
            return root.root().toRealPath();
        } catch (IOException e) {
            return root.root();
        }
    }
}
