package io.lineside.history;

import ai.onnxruntime.OrtEnvironment;
import io.lineside.config.LinesideConfig;
import io.lineside.inspection.InspectionPipeline;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelLoader;
import io.lineside.model.OnnxModelBuilder;
import io.lineside.scoring.ModelGeometry;
import io.lineside.scoring.TestImages;
import io.quarkus.runtime.configuration.MemorySize;
import jakarta.enterprise.event.Event;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The reconstruction view: its refusals, and planar model output drawn with its channels in order. */
class ResidualComputerTest {

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private static ResidualComputer computerServing(byte[] onnx) throws Exception {
        LinesideConfig.Limits limits = proxy(LinesideConfig.Limits.class, (p, m, a) -> switch (m.getName()) {
            case "maxBytes" -> new MemorySize(BigInteger.valueOf(1 << 20));
            case "maxPixels" -> 4_000_000L;
            default -> throw new UnsupportedOperationException(m.getName());
        });
        InspectionPipeline pipeline = new InspectionPipeline();
        var config = InspectionPipeline.class.getDeclaredField("config");
        config.setAccessible(true);
        config.set(pipeline, proxy(LinesideConfig.class, (p, m, a) -> {
            if (m.getName().equals("limits")) {
                return limits;
            }
            throw new UnsupportedOperationException(m.getName());
        }));
        var init = InspectionPipeline.class.getDeclaredMethod("init");
        init.setAccessible(true);
        init.invoke(pipeline);
        ActiveModel active = new ActiveModel();
        var activated = ActiveModel.class.getDeclaredField("activated");
        activated.setAccessible(true);
        activated.set(active, proxy(Event.class, (p, m, a) -> null));
        LoadedModel model = new ModelLoader(OrtEnvironment.getEnvironment(), 1, 1).load(onnx, "t.onnx", OptionalDouble.empty());
        active.activate(model);
        ResidualComputer computer = new ResidualComputer();
        computer.activeModel = active;
        computer.pipeline = pipeline;
        return computer;
    }

    @Test
    void aFormat2ModelWithoutReconstructionAndAModelNoLongerInServiceAreSaidSo() throws Exception {
        byte[] onnx = OnnxModelBuilder.format2(1, 16, 32).build();
        ResidualComputer computer = computerServing(onnx);
        byte[] image = TestImages.encode(TestImages.gray(64, 32, 1), "png");
        String sha = io.lineside.model.ModelBundle.sha256(onnx);
        Retention.Unavailable none = assertThrows(Retention.Unavailable.class, () -> computer.reconstructionPng(image, sha));
        assertEquals("no-reconstruction", none.error);
        Retention.Unavailable gone = assertThrows(Retention.Unavailable.class,
                () -> computer.reconstructionPng(image, "0".repeat(64)));
        assertEquals("reconstruction-unavailable", gone.error);
    }

    @Test
    void aFormat2ReconstructionIsDrawnAtModelResolution() throws Exception {
        byte[] onnx = OnnxModelBuilder.format2(1, 16, 32).withReconstruction().build();
        BufferedImage part = new BufferedImage(64, 32, BufferedImage.TYPE_BYTE_GRAY);
        part.getRaster().setSample(0, 0, 0, 200);
        part.getRaster().setSample(1, 0, 0, 200);
        part.getRaster().setSample(0, 1, 0, 200);
        part.getRaster().setSample(1, 1, 0, 200);
        byte[] png = computerServing(onnx).reconstructionPng(TestImages.encode(part, "png"),
                io.lineside.model.ModelBundle.sha256(onnx));
        BufferedImage drawn = HeatmapRenderer.decodeRgb(png);
        assertEquals(32, drawn.getWidth());
        assertEquals(16, drawn.getHeight());
        assertEquals(200, drawn.getRGB(0, 0) & 0xFF, "the Identity graph's reconstruction is the 2x2-area-resized input");
        assertEquals(0, drawn.getRGB(1, 0) & 0xFF);
    }

    @Test
    void planarChannelsAreDrawnAsRedGreenBlueAndClamped() {
        ModelGeometry g = new ModelGeometry(3, 1, 2);
        // R plane, G plane, B plane for pixels (0,0) and (1,0).
        float[] planar = {1f, 0f, 0.5f, 0f, 0f, 2f};
        BufferedImage image = ResidualComputer.reconstructionImage(planar, g);
        assertEquals(0xFF8000, image.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x0000FF, image.getRGB(1, 0) & 0xFFFFFF, "above 1 is drawn at full");
        float[] gray = {-0.5f, 0.2f};
        BufferedImage one = ResidualComputer.reconstructionImage(gray, new ModelGeometry(1, 1, 2));
        assertEquals(0, one.getRaster().getSample(0, 0, 0), "below 0 is drawn black");
        assertEquals(51, one.getRaster().getSample(1, 0, 0));
    }
}
