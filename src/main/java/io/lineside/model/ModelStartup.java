package io.lineside.model;

import ai.onnxruntime.OrtEnvironment;
import io.lineside.calibration.PersistedThreshold;
import io.lineside.config.LinesideConfig;
import io.lineside.scoring.Roi;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Loads the configured model ({@code lineside.model.path}, else the embedded default) at start-up.
 * A model that fails validation does not stop the process: readiness stays DOWN with the reason,
 * so the operator sees why, and a valid model can still be supplied (hot swap).
 */
@ApplicationScoped
public class ModelStartup {
    private static final Logger LOG = Logger.getLogger(ModelStartup.class);
    public static final String DEFAULT_MODEL_RESOURCE = "/lineside/default-model.onnx";

    @Inject
    LinesideConfig config;

    @Inject
    ActiveModel activeModel;

    @Inject
    PersistedThreshold persistedThreshold;

    void onStart(@Observes StartupEvent event) {
        try {
            // A threshold recalibrated on the box for exactly this model survives the restart.
            activeModel.activate(persistedThreshold.applyTo(loadConfigured()));
        } catch (ModelValidationException | IOException e) {
            String reason = "model refused: " + e.getMessage();
            activeModel.markUnavailable(reason);
            LOG.error(reason + " (the appliance stays unready until a valid model is supplied)");
        }
    }

    /** A loader configured from {@code lineside.model.*}; used at start-up and by hot swap. */
    public ModelLoader loader() {
        int threads = config.model().threads().orElse(Runtime.getRuntime().availableProcessors());
        int concurrency = config.model().concurrency().orElse(threads);
        return new ModelLoader(OrtEnvironment.getEnvironment(), Math.max(1, threads), Math.max(1, concurrency));
    }

    /** The threshold override from {@code lineside.threshold}, validated. */
    public OptionalDouble thresholdOverride() throws ModelValidationException {
        OptionalDouble override = config.threshold();
        if (override.isPresent() && !(Double.isFinite(override.getAsDouble()) && override.getAsDouble() >= 0)) {
            throw new ModelValidationException("lineside.threshold = " + override.getAsDouble()
                    + " is invalid: must be a finite, non-negative number");
        }
        return override;
    }

    /** The region of interest override from {@code lineside.roi} (x,y,w,h), validated. */
    public Optional<Roi> roiOverride() throws ModelValidationException {
        Optional<String> text = config.roi();
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Roi.parse(text.get()));
        } catch (IllegalArgumentException e) {
            throw new ModelValidationException("lineside.roi is invalid: " + e.getMessage());
        }
    }

    /** Loads and validates {@code onnx} with the configured overrides (threshold, region of interest). */
    public LoadedModel load(byte[] onnx, String origin) throws ModelValidationException {
        return loader().load(onnx, origin, thresholdOverride(), roiOverride());
    }

    /** Loads and validates the configured model without putting it in service. */
    public LoadedModel loadConfigured() throws ModelValidationException, IOException {
        if (config.model().path().isPresent()) {
            Path path = config.model().path().get().toAbsolutePath();
            if (!Files.isRegularFile(path)) {
                throw new ModelValidationException("lineside.model.path " + path + " is not a readable file");
            }
            return load(Files.readAllBytes(path), path.toString());
        }
        try (InputStream in = ModelStartup.class.getResourceAsStream(DEFAULT_MODEL_RESOURCE)) {
            if (in == null) {
                throw new ModelValidationException("the embedded default model " + DEFAULT_MODEL_RESOURCE
                        + " is missing from this build; set lineside.model.path");
            }
            return load(in.readAllBytes(), "classpath:" + DEFAULT_MODEL_RESOURCE);
        }
    }
}
