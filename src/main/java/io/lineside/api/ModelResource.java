package io.lineside.api;

import io.lineside.model.ActiveModel;
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

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Describe the model in service",
            description = "Identity, sha256, input shape, preprocessing, score function, the threshold in force "
                    + "and where it came from, calibration figures, and every lineside.* metadata key.")
    @APIResponse(responseCode = "200", description = "The model in service",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ModelResponse.class)))
    @APIResponse(responseCode = "503", description = "No model in service; detail says why",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public ModelResponse model() {
        return activeModel.current().map(ModelResponse::of)
                .orElseThrow(() -> new ModelUnavailableException(activeModel.unavailableReason()));
    }
}
