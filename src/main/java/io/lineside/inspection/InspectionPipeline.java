package io.lineside.inspection;

import ai.onnxruntime.OrtException;
import io.lineside.config.LinesideConfig;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelUnavailableException;
import io.lineside.scoring.ImageDecoder;
import io.lineside.scoring.ImageLimits;
import io.lineside.scoring.ImageRejectedException;
import io.lineside.scoring.ScoringSlot;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The one way an image becomes a verdict, whatever its source:
 * decode -> preprocess -> infer -> score -> <b>commit</b> (journal) -> notify (CDI event of the {@link Outcome}).
 * <p>
 * Bad input never throws: it comes back as a {@link Rejection} with a reason, committed and announced
 * like any verdict. An exception ({@link ModelUnavailableException}, {@link InspectionFailedException})
 * means the appliance, not the input, failed: nothing was committed or announced, and the source
 * must keep the input. Thread-safe; concurrency is bounded by the model's buffer sets.
 */
@ApplicationScoped
public class InspectionPipeline {
    private static final Logger LOG = Logger.getLogger(InspectionPipeline.class);
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    @Inject
    LinesideConfig config;

    @Inject
    ActiveModel activeModel;

    @Inject
    VerdictJournal journal;

    @Inject
    Event<Outcome> outcomes;

    /** The image with its inspection, for observers that keep images (history, heatmaps). */
    @Inject
    Event<InspectedImage> inspectedImages;

    private ImageDecoder decoder;

    @PostConstruct
    void init() {
        decoder = new ImageDecoder(new ImageLimits(config.limits().maxBytes().asLongValue(), config.limits().maxPixels()));
    }

    /** The limits applied to every input; sources use them to bound what they read. */
    public ImageLimits limits() {
        return decoder.limits();
    }

    public Outcome inspect(ImageInput input) {
        return inspect(input, null);
    }

    /**
     * Inspects one image, committing and announcing the outcome.
     *
     * @param residual when not null, receives the map shown to people of an {@link Inspection}: the residual
     *                 map g (format 1) or the graph's anomaly map (format 2)
     */
    public Outcome inspect(ImageInput input, ResidualCapture residual) {
        long start = System.nanoTime();
        String id = InspectionIds.next();
        String imageSha256 = HexFormat.of().formatHex(SHA256.get().digest(input.bytes()));
        if (residual != null) {
            residual.prepare(0, 0);
        }

        // A one-channel model needs only the luma of a colour JPEG: decoding just that halves the decode.
        boolean lumaOnly = activeModel.current().map(m -> ImageDecoder.lumaOnlyFor(m.scorer().geometry())).orElse(false);
        BufferedImage image;
        try {
            image = decoder.decode(input.bytes(), lumaOnly);
        } catch (ImageRejectedException e) {
            Rejection rejection = new Rejection(id, input.name(), input.source(), input.receivedAt(), imageSha256,
                    e.reason(), e.getMessage());
            LOG.debugf("rejected %s from %s: %s (%s)", input.name(), input.source(), e.reason().label(), e.getMessage());
            return commitAndNotify(rejection);
        }
        long decoded = System.nanoTime();

        // The scoring slot (and the model reference) are held only while the buffers are in use:
        // the commit below may wait for the disk (fsync), and holding a slot through it would
        // serialise every other inference behind the journal.
        Inspection inspection = null;
        Rejection rejection = null;
        ResidualPlane defectMap = null;
        LoadedModel model = activeModel.acquire();
        try {
            if (lumaOnly && !ImageDecoder.lumaOnlyFor(model.scorer().geometry())) {
                // A three-channel model was swapped in after the decode: it needs the colours.
                image = decodeAgain(input.bytes());
            }
        } catch (RuntimeException e) {
            model.release();
            throw e;
        }
        long waitingForSlot = System.nanoTime();
        try (ScoringSlot slot = model.scorer().acquire()) {
            long acquired = System.nanoTime(); // a busy appliance queues here: that is not preprocessing
            try {
                slot.preprocess(image);
            } catch (ImageRejectedException e) {
                // The image does not contain the region of interest: the input's fault, like a bad file.
                rejection = new Rejection(id, input.name(), input.source(), input.receivedAt(), imageSha256,
                        e.reason(), e.getMessage());
            }
            if (rejection == null) {
                long preprocessed = System.nanoTime();
                slot.infer();
                long inferred = System.nanoTime();
                double score = slot.score(); // format 2: reads the graph's score, ~0 ms
                long scored = System.nanoTime();
                if (residual != null) {
                    slot.copyResidualMap(residual.prepare(slot.mapWidth(), slot.mapHeight()));
                }
                double threshold = model.threshold().value();
                Verdict verdict = score > threshold ? Verdict.DEFECT : Verdict.GOOD;
                if (verdict == Verdict.DEFECT) {
                    // Kept with the image for its heatmap: computing it later would mean a second inference.
                    float[] values = new float[slot.mapWidth() * slot.mapHeight()];
                    slot.copyResidualMap(values);
                    defectMap = model.residualPlane(slot.mapWidth(), slot.mapHeight(), values);
                }
                Timings timings = new Timings(millis(start, decoded), millis(acquired, preprocessed),
                        millis(preprocessed, inferred), millis(inferred, scored), millis(start, scored),
                        millis(waitingForSlot, acquired));
                inspection = new Inspection(id, input.name(), input.source(), input.receivedAt(), imageSha256,
                        verdict, score, threshold, model.bundle().identity(), timings);
            }
        } catch (OrtException e) {
            throw new InspectionFailedException("inference failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InspectionFailedException("interrupted while waiting for a scoring slot", e);
        } finally {
            model.release();
        }
        if (rejection != null) {
            LOG.debugf("rejected %s from %s: %s (%s)", input.name(), input.source(), rejection.reason().label(),
                    rejection.detail());
            return commitAndNotify(rejection);
        }
        return commitAndNotify(inspection, input, defectMap);
    }

    private BufferedImage decodeAgain(byte[] bytes) {
        try {
            return decoder.decode(bytes, false);
        } catch (ImageRejectedException e) {
            throw new InspectionFailedException("the image decoded once but not twice: " + e.getMessage(), e);
        }
    }

    /**
     * Commits and announces a rejection decided by a source before the input could be read in full
     * (e.g. a body over the size limit, cut off unread); its {@code imageSha256} is null.
     */
    public Rejection reject(String name, String source, java.time.Instant receivedAt, RejectReason reason, String detail) {
        Rejection rejection = new Rejection(InspectionIds.next(), name, source, receivedAt, null, reason, detail);
        commitAndNotify(rejection);
        return rejection;
    }

    /** Commit first (durable journal), then tell everyone. A listener's failure never undoes a commit. */
    private Outcome commitAndNotify(Outcome outcome) {
        return commitAndNotify(outcome, null, null);
    }

    /** As above; for an inspection, observers of {@link InspectedImage} get the input first (before the Outcome). */
    private Outcome commitAndNotify(Outcome outcome, ImageInput input, ResidualPlane residualMap) {
        try {
            journal.append(outcome);
        } catch (IOException | RuntimeException e) {
            throw new InspectionFailedException("the verdict journal refused the outcome: " + e.getMessage(), e);
        }
        if (input != null && outcome instanceof Inspection inspection) {
            try {
                inspectedImages.fire(new InspectedImage(input, inspection, residualMap));
            } catch (RuntimeException e) {
                LOG.errorf(e, "an image observer failed on inspection %s (it is committed)", outcome.id());
            }
        }
        try {
            outcomes.fire(outcome);
        } catch (RuntimeException e) {
            LOG.errorf(e, "a listener failed on outcome %s (it is committed)", outcome.id());
        }
        return outcome;
    }

    private static double millis(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1_000_000.0;
    }
}
