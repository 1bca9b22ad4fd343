package io.lineside.api;

import io.lineside.model.ActiveModel;
import io.lineside.model.ModelBundle;
import io.lineside.model.lifecycle.ModelLifecycle;
import io.lineside.model.ModelUnavailableException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/model")
@Tag(name = "Model", description = "The model in service")
public class ModelResource {

    @Inject
    ActiveModel activeModel;

    @Inject
    ModelLifecycle lifecycle;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Describe the model in service",
            description = "Identity, sha256, format (1: the appliance scores the reconstruction; 2: the graph outputs score "
                    + "and anomaly_map), input shape, the outputs with their shapes, preprocessing, score function, the map value "
                    + "drawn at full colour (mapMax, format 2), the region of interest (roi), the threshold in force "
                    + "and where it came from, calibration figures, every lineside.* metadata key, the last attempt to change the "
                    + "model (lastReload: outcome success|invalid|rollback|error, trigger, message, time) and the model a rollback "
                    + "would restore (previous).")
    @APIResponse(responseCode = "200", description = "The model in service",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ModelResponse.class)))
    @APIResponse(responseCode = "503", description = "No model in service; detail says why",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public ModelResponse model() {
        return activeModel.current().map(m -> ModelResponse.of(m).withLifecycle(lifecycle.lastReload().orElse(null),
                        lifecycle.previous().map(ModelBundle::identity).orElse(null)))
                .orElseThrow(() -> new ModelUnavailableException(activeModel.unavailableReason()));
    }
}
