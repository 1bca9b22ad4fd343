package io.lineside.model;

import io.lineside.config.LinesideConfig;
import io.lineside.scoring.Roi;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code lineside.roi} is checked when a model is loaded, so a typo leaves the appliance unready saying why. */
class ModelStartupRoiTest {

    private static ModelStartup startupWithRoi(String roi) {
        ModelStartup startup = new ModelStartup();
        startup.config = (LinesideConfig) Proxy.newProxyInstance(LinesideConfig.class.getClassLoader(),
                new Class<?>[] {LinesideConfig.class}, (p, m, a) -> {
                    if (m.getName().equals("roi")) {
                        return Optional.ofNullable(roi);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        return startup;
    }

    @Test
    void aValidRegionIsParsedAndNoneMeansTheModelsOwn() throws Exception {
        assertEquals(Optional.of(new Roi(80, 32, 640, 256)), startupWithRoi("80,32,640,256").roiOverride());
        assertEquals(Optional.empty(), startupWithRoi(null).roiOverride());
    }

    @Test
    void anInvalidRegionIsRefusedNamingTheProperty() {
        String message = assertThrows(ModelValidationException.class,
                () -> startupWithRoi("80,32,640").roiOverride()).getMessage();
        assertTrue(message.startsWith("lineside.roi is invalid: '80,32,640' is not x,y,w,h"), message);
        message = assertThrows(ModelValidationException.class,
                () -> startupWithRoi("80,32,0,256").roiOverride()).getMessage();
        assertTrue(message.contains("w and h must be at least 1"), message);
    }
}
