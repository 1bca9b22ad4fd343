package io.lineside.api;

import io.lineside.ingest.camera.CameraFetchException;
import io.lineside.ingest.camera.CameraNotConfiguredException;
import io.lineside.ingest.camera.CameraSource;
import io.lineside.ingest.camera.CameraStatus;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Rejection;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/camera")
@Tag(name = "Camera", description = "The HTTP snapshot camera source")
public class CameraResource {

    @Inject
    CameraSource camera;

    @POST
    @Path("/trigger")
    @RequiresApiKey
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Grab one frame now and inspect it",
            description = "For a PLC's \"part in position\" signal: fetches the camera's current frame "
                    + "unconditionally (even if unchanged), inspects it, journals it with source = the camera's "
                    + "name, and answers with its verdict, as POST /api/v1/inspections does.")
    @APIResponse(responseCode = "200", description = "Inspected",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InspectionResponse.class)))
    @APIResponse(responseCode = "502", description = "The camera's frame could not be inspected (not an image, corrupt, too large); it is journaled as rejected",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "503", description = "No camera configured, the camera gave no frame, or no model is in service",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response trigger() {
        Outcome outcome;
        try {
            outcome = camera.trigger();
        } catch (CameraNotConfiguredException e) {
            return ApiErrors.json(Response.Status.SERVICE_UNAVAILABLE, "camera-not-configured", e.getMessage());
        } catch (CameraFetchException e) {
            return ApiErrors.json(Response.Status.SERVICE_UNAVAILABLE,
                    "camera-" + e.outcome().label().replace('_', '-'), e.getMessage());
        }
        if (outcome instanceof Inspection inspection) {
            return Response.ok(InspectionResponse.of(inspection), MediaType.APPLICATION_JSON)
                    .header(InspectionResource.ID_HEADER, inspection.id()).build();
        }
        // The request was fine; the camera's frame was not: a gateway error, not the client's 4xx.
        Rejection rejection = (Rejection) outcome;
        return Response.status(Response.Status.BAD_GATEWAY)
                .entity(new ErrorBody(rejection.reason().label(), "the camera's frame was rejected: " + rejection.detail()))
                .type(MediaType.APPLICATION_JSON)
                .header(InspectionResource.ID_HEADER, rejection.id()).build();
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The camera source's state",
            description = "Whether the camera answers, its last outcome and why it failed, when it was last fetched. "
                    + "The URL is shown without credentials.")
    @APIResponse(responseCode = "200", description = "State of the configured camera",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = CameraStatus.class)))
    @APIResponse(responseCode = "404", description = "No camera configured",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response status() {
        return camera.status()
                .map(s -> Response.ok(s, MediaType.APPLICATION_JSON).build())
                .orElseGet(() -> ApiErrors.json(Response.Status.NOT_FOUND, "camera-not-configured",
                        new CameraNotConfiguredException().getMessage()));
    }
}
