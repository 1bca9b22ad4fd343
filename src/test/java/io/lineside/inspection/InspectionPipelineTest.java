package io.lineside.inspection;

import ai.onnxruntime.OrtEnvironment;
import io.lineside.config.LinesideConfig;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelLoader;
import io.lineside.model.ModelUnavailableException;
import io.lineside.model.OnnxModelBuilder;
import io.lineside.scoring.TestImages;
import io.quarkus.runtime.configuration.MemorySize;
import jakarta.enterprise.event.Event;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pipeline's contract with every source: commit before notify, rejections instead of exceptions. */
class InspectionPipelineTest {
    private final List<String> log = new ArrayList<>();
    private final List<Outcome> journaled = new ArrayList<>();
    private final List<Outcome> announced = new ArrayList<>();
    private IOException journalFailure;
    /** Free scoring slots of the model in service, seen from inside each journal commit. */
    private final List<Integer> freeSlotsAtCommit = new ArrayList<>();
    private RuntimeException listenerFailure;
    private final List<InspectedImage> images = new ArrayList<>();
    private InspectionPipeline pipeline;

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }

    @BeforeEach
    void setUp() throws Exception {
        LinesideConfig.Limits limits = proxy(LinesideConfig.Limits.class, (p, m, a) -> switch (m.getName()) {
            case "maxBytes" -> new MemorySize(BigInteger.valueOf(1 << 20));
            case "maxPixels" -> 4_000_000L;
            default -> throw new UnsupportedOperationException(m.getName());
        });
        pipeline = new InspectionPipeline();
        pipeline.config = proxy(LinesideConfig.class, (p, m, a) -> {
            if (m.getName().equals("limits")) {
                return limits;
            }
            throw new UnsupportedOperationException(m.getName());
        });
        pipeline.journal = outcome -> {
            log.add("journal");
            pipeline.activeModel.current().ifPresent(m -> freeSlotsAtCommit.add(m.scorer().available()));
            if (journalFailure != null) {
                throw journalFailure;
            }
            journaled.add(outcome);
        };
        pipeline.outcomes = proxy(Event.class, (p, m, a) -> {
            if (m.getName().equals("fire")) {
                log.add("notify");
                announced.add((Outcome) a[0]);
                if (listenerFailure != null) {
                    throw listenerFailure;
                }
                return null;
            }
            throw new UnsupportedOperationException(m.getName());
        });
        pipeline.inspectedImages = proxy(Event.class, (p, m, a) -> {
            if (m.getName().equals("fire")) {
                images.add((InspectedImage) a[0]);
                return null;
            }
            throw new UnsupportedOperationException(m.getName());
        });
        ActiveModel activeModel = new ActiveModel();
        var activated = ActiveModel.class.getDeclaredField("activated");
        activated.setAccessible(true);
        activated.set(activeModel, proxy(Event.class, (p, m, a) -> null));
        pipeline.activeModel = activeModel;
        pipeline.init();
    }

    private void loadModel(String threshold) throws Exception {
        loadModel(threshold, "std");
    }

    private void loadModel(String threshold, String score) throws Exception {
        LoadedModel model = new ModelLoader(OrtEnvironment.getEnvironment(), 1, 2).load(
                OnnxModelBuilder.valid(1, 16, 16).with("lineside.threshold", threshold).with("lineside.score", score)
                        .build(), "t.onnx", OptionalDouble.empty());
        pipeline.activeModel.activate(model);
    }

    private static ImageInput input(byte[] bytes) {
        return new ImageInput(bytes, "part-1", "test", Instant.parse("2026-01-02T03:04:05Z"));
    }

    @Test
    void inspectsCommitsThenAnnounces() throws Exception {
        loadModel("0.05");
        Outcome outcome = pipeline.inspect(input(TestImages.encode(TestImages.gray(64, 48, 1), "png")));
        Inspection inspection = assertInstanceOf(Inspection.class, outcome);
        assertEquals(List.of("journal", "notify"), log);
        assertSame(outcome, journaled.get(0));
        assertSame(outcome, announced.get(0));
        assertEquals("part-1", inspection.name());
        assertEquals("test", inspection.source());
        assertEquals(Instant.parse("2026-01-02T03:04:05Z"), inspection.receivedAt());
        assertEquals(64, inspection.imageSha256().length());
        assertEquals("test-model", inspection.model().name());
        assertEquals(0.05, inspection.threshold());
        assertEquals(inspection.score() > 0.05 ? Verdict.DEFECT : Verdict.GOOD, inspection.verdict());
        assertTrue(inspection.timings().total() >= inspection.timings().infer());
    }

    @Test
    void waitingForAScoringSlotIsReportedAsQueueNotAsPreprocessing() throws Exception {
        loadModel("0.05");
        byte[] png = TestImages.encode(TestImages.gray(64, 48, 1), "png");
        pipeline.inspect(input(png)); // warm: class loading must not count below
        var scorer = pipeline.activeModel.current().orElseThrow().scorer();
        List<io.lineside.scoring.ScoringSlot> held = new ArrayList<>();
        while (scorer.available() > 0) {
            held.add(scorer.acquire()); // every slot busy, as on a saturated appliance
        }
        var pending = java.util.concurrent.CompletableFuture.supplyAsync(() -> pipeline.inspect(input(png)));
        Thread.sleep(300);
        assertFalse(pending.isDone(), "the inspection waits for a slot");
        held.forEach(io.lineside.scoring.ScoringSlot::close);
        Timings t = assertInstanceOf(Inspection.class, pending.get(10, java.util.concurrent.TimeUnit.SECONDS)).timings();
        assertTrue(t.queue() >= 250, "queue " + t.queue());
        assertTrue(t.preprocess() < 250, "preprocess must not include the queueing: " + t.preprocess());
        assertTrue(t.total() >= t.queue() + t.decode() + t.preprocess() + t.infer() + t.score() - 1e-6,
                "total covers the queueing and every phase: " + t);

        Timings unqueued = ((Inspection) pipeline.inspect(input(png))).timings();
        assertTrue(unqueued.queue() < 250, "a free slot is taken at once: " + unqueued.queue());
    }

    @Test
    void aScoreEqualToTheThresholdIsGood() throws Exception {
        loadModel("0");
        BufferedImage flat = new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY); // uniform: std of residual is 0
        Inspection inspection = (Inspection) pipeline.inspect(input(TestImages.encode(flat, "png")));
        assertEquals(0.0, inspection.score(), 1e-9);
        assertEquals(Verdict.GOOD, inspection.verdict());
    }

    @Test
    void badInputIsARejectionCommittedAndAnnouncedEvenWithoutAModel() {
        Outcome outcome = pipeline.inspect(input("not an image".getBytes(StandardCharsets.UTF_8)));
        Rejection rejection = assertInstanceOf(Rejection.class, outcome);
        assertEquals(RejectReason.NOT_AN_IMAGE, rejection.reason());
        assertEquals(List.of("journal", "notify"), log);
        assertSame(rejection, announced.get(0));
    }

    @Test
    void whenTheJournalFailsNobodyIsToldAndTheSourceKeepsItsInput() throws Exception {
        loadModel("0.05");
        journalFailure = new IOException("disk full");
        InspectionFailedException e = assertThrows(InspectionFailedException.class,
                () -> pipeline.inspect(input(TestImages.encode(TestImages.gray(32, 32, 1), "png"))));
        assertTrue(e.getMessage().contains("disk full"));
        assertTrue(announced.isEmpty());
    }

    @Test
    void aFailingListenerDoesNotUndoTheCommit() throws Exception {
        loadModel("0.05");
        listenerFailure = new IllegalStateException("listener bug");
        Outcome outcome = pipeline.inspect(input(TestImages.encode(TestImages.gray(32, 32, 1), "png")));
        assertSame(outcome, journaled.get(0));
    }

    @Test
    void withoutAModelAValidImageIsNotCommitted() {
        assertThrows(ModelUnavailableException.class,
                () -> pipeline.inspect(input(TestImages.encode(TestImages.gray(32, 32, 1), "png"))));
        assertTrue(journaled.isEmpty());
        assertTrue(announced.isEmpty());
    }

    @Test
    void residualMapIsCapturedOnRequest() throws Exception {
        loadModel("0.05");
        ResidualCapture capture = new ResidualCapture();
        pipeline.inspect(input(TestImages.encode(TestImages.gray(64, 64, 1), "png")), capture);
        assertEquals(16, capture.width());
        assertEquals(16, capture.height());
        assertTrue(capture.values()[0] > 0, "residual of 0.9x + 0.02 is never zero on this image");
        pipeline.inspect(input(new byte[0]), capture);
        assertEquals(0, capture.width(), "a rejection has no residual map");
    }

    @Test
    void theScoringSlotIsBackInThePoolBeforeTheJournalCommits() throws Exception {
        // A commit may wait for the disk (fsync): holding a slot through it would serialise inferences behind the journal.
        loadModel("0.05");
        pipeline.inspect(input(TestImages.encode(TestImages.gray(32, 32, 1), "png")));
        pipeline.inspect(input(TestImages.encode(TestImages.gray(48, 32, 1), "png")));
        assertEquals(List.of(2, 2), freeSlotsAtCommit, "both slots free at every commit");
    }

    @Test
    void aDefectsResidualMapTravelsWithItsImageAGoodPartsDoesNot() throws Exception {
        // The history keeps a defect's heatmap; handing it over saves a second inference per defect.
        byte[] part = TestImages.encode(TestImages.gray(64, 64, 1), "png");
        ResidualCapture capture = new ResidualCapture();
        loadModel("0.000001", "max-blur");
        Inspection defect = assertInstanceOf(Inspection.class, pipeline.inspect(input(part), capture));
        assertEquals(Verdict.DEFECT, defect.verdict());
        ResidualPlane map = images.get(0).residualMap();
        assertEquals(16, map.width());
        assertEquals(16, map.height());
        assertEquals("max-blur", map.scoreFunction());
        assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOf(capture.values(), 256)),
                java.util.Arrays.toString(map.values()), "the map the score came from");
        assertEquals(defect.score(), java.util.Arrays.stream(toDoubles(map.values())).max().orElseThrow(), 1e-6,
                "max-blur's score is the map's maximum");

        loadModel("1000", "max-blur");
        Inspection good = assertInstanceOf(Inspection.class, pipeline.inspect(input(part)));
        assertEquals(Verdict.GOOD, good.verdict());
        assertEquals(null, images.get(1).residualMap());
    }

    /** A black image with a white rectangle, as PNG. */
    private static byte[] blackWithWhite(int width, int height, int x, int y, int w, int h) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        var g = image.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(x, y, w, h);
        g.dispose();
        return TestImages.encode(image, "png");
    }

    private void loadFormat2(OnnxModelBuilder builder) throws Exception {
        pipeline.activeModel.activate(new ModelLoader(OrtEnvironment.getEnvironment(), 1, 2)
                .load(builder.build(), "f2.onnx", OptionalDouble.empty()));
    }

    @Test
    void aFormat2ModelsVerdictIsTheGraphsScoreAndItsMapTravelsWithItsOwnSize() throws Exception {
        // Non-square 64 x 24 model, map 16 x 6, region of interest 10,20,128,48 of a 200 x 100 image.
        loadFormat2(OnnxModelBuilder.format2(1, 24, 64).reference(0f).with("lineside.map.max", "0.8")
                .with("lineside.input.roi", "10,20,128,48"));
        // White 16 x 8 at (90, 36) -> region (80, 16) -> input (40, 8) -> map cells (10..11, 2) = 1.0
        ResidualCapture capture = new ResidualCapture();
        Inspection defect = assertInstanceOf(Inspection.class,
                pipeline.inspect(input(blackWithWhite(200, 100, 90, 36, 16, 8)), capture));
        assertEquals(1.0, defect.score(), 1e-6, "the graph's score as it is");
        assertEquals(Verdict.DEFECT, defect.verdict());
        assertEquals(16, capture.width());
        assertEquals(6, capture.height());
        assertEquals(1.0f, capture.values()[2 * 16 + 10], 1e-6f);
        ResidualPlane plane = images.get(0).residualMap();
        assertEquals(16, plane.width());
        assertEquals(6, plane.height());
        assertEquals(null, plane.scoreFunction(), "format 2 has no appliance-side score function");
        assertEquals(new io.lineside.scoring.Roi(10, 20, 128, 48), plane.region());
        assertEquals(0.8, plane.scaleMax(), "drawn on the model's lineside.map.max");

        Inspection good = assertInstanceOf(Inspection.class,
                pipeline.inspect(input(blackWithWhite(200, 100, 0, 0, 1, 1))));
        assertEquals(0.0, good.score(), 1e-6, "the white pixel lies outside the region");
        assertEquals(Verdict.GOOD, good.verdict());
    }

    @Test
    void anImageWithoutTheWholeRegionOfInterestIsARejectionCommittedLikeAnyOther() throws Exception {
        loadFormat2(OnnxModelBuilder.format2(1, 24, 64).with("lineside.input.roi", "10,20,128,48"));
        Outcome outcome = pipeline.inspect(input(blackWithWhite(100, 100, 0, 0, 1, 1)));
        Rejection rejection = assertInstanceOf(Rejection.class, outcome);
        assertEquals(RejectReason.ROI_OUTSIDE_IMAGE, rejection.reason());
        assertEquals("roi-outside-image", rejection.reason().label());
        assertTrue(rejection.detail().contains("100x100") && rejection.detail().contains("10,20,128,48"), rejection.detail());
        assertEquals(List.of("journal", "notify"), log);
        assertSame(rejection, journaled.get(0));
        assertEquals(2, pipeline.activeModel.current().orElseThrow().scorer().available(), "the slot went back");
    }

    private static double[] toDoubles(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}
