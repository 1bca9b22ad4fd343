package io.lineside.inspection;

import ai.onnxruntime.OrtEnvironment;
import io.lineside.config.LinesideConfig;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelLoader;
import io.lineside.model.OnnxModelBuilder;
import io.quarkus.runtime.configuration.MemorySize;
import jakarta.enterprise.event.Event;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The pipeline gives its scoring slot back before the journal commit: a commit waits for the disk
 * (fsync), and a slot held through it would serialise every other inference behind the journal.
 */
class InspectionPipelineSlotTest {
    private LoadedModel model;

    @AfterEach
    void close() {
        if (model != null) {
            model.release();
        }
    }

    @Test
    void slotAndModelAreFreeWhileTheOutcomeIsCommitted() throws Exception {
        model = new ModelLoader(OrtEnvironment.getEnvironment(), 1, 1)
                .load(OnnxModelBuilder.valid(1, 8, 8).build(), "test", OptionalDouble.empty());
        InspectionPipeline pipeline = new InspectionPipeline();
        pipeline.config = config();
        pipeline.activeModel = new ActiveModel();
        setActivatedEvent(pipeline.activeModel);
        pipeline.activeModel.activate(model);
        pipeline.outcomes = noEvents();
        List<Integer> freeSlotsAtCommit = new ArrayList<>();
        pipeline.journal = outcome -> freeSlotsAtCommit.add(model.scorer().available());
        pipeline.init();

        Outcome outcome = pipeline.inspect(new ImageInput(png(16, 16), "part-1", "test", Instant.now()));

        assertInstanceOf(Inspection.class, outcome);
        assertEquals(List.of(1), freeSlotsAtCommit, "the only slot must be back in the pool when the journal commits");
    }

    private static byte[] png(int width, int height) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.getRaster().setSample(x, y, 0, (x * 13 + y * 7) % 256);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static LinesideConfig config() {
        LinesideConfig.Limits limits = proxy(LinesideConfig.Limits.class, Map.of(
                "maxBytes", new MemorySize(BigInteger.valueOf(1 << 20)), "maxPixels", 1_000_000L));
        return proxy(LinesideConfig.class, Map.of("limits", limits));
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Map<String, Object> answers) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, method, args) -> {
            if (!answers.containsKey(method.getName())) {
                throw new UnsupportedOperationException(type.getSimpleName() + "." + method.getName());
            }
            return answers.get(method.getName());
        });
    }

    @SuppressWarnings("unchecked")
    private static <T> Event<T> noEvents() {
        return (Event<T>) Proxy.newProxyInstance(Event.class.getClassLoader(), new Class<?>[] {Event.class},
                (self, method, args) -> method.getName().equals("fire") ? null : self);
    }

    private static void setActivatedEvent(ActiveModel activeModel) throws Exception {
        var field = ActiveModel.class.getDeclaredField("activated");
        field.setAccessible(true);
        field.set(activeModel, noEvents());
    }
}
