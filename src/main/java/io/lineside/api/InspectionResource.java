package io.lineside.api;

import io.lineside.inspection.ImageInput;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.InspectionPipeline;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.RejectReason;
import io.lineside.inspection.Rejection;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

@Path("/api/v1/inspections")
@Tag(name = "Inspections", description = "Score an image against the model in service")
public class InspectionResource {
    static final String SOURCE = "api";
    static final String ID_HEADER = "X-Inspection-Id";
    private static final int MAX_NAME_LENGTH = 255;

    @Inject
    InspectionPipeline pipeline;

    @POST
    @Consumes({"image/jpeg", "image/png", "image/bmp", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Inspect one image",
            description = "The body is the image file (JPEG, PNG or BMP; the format is read from the bytes). "
                    + "Returns the verdict: DEFECT when the anomaly score exceeds the threshold. "
                    + "The outcome is journaled before this answer is sent.")
    @RequestBody(required = true, content = {
            @Content(mediaType = "image/jpeg", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = "image/png", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = "image/bmp", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponse(responseCode = "200", description = "Inspected",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InspectionResponse.class)))
    @APIResponse(responseCode = "400", description = "Invalid name parameter",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "413", description = "Larger than lineside.limits.max-bytes or max-pixels",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "415", description = "Empty, not an image, corrupt, or an unsupported variant (e.g. CMYK JPEG)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "503", description = "No model in service, or the journal is unavailable",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response inspect(
            @Parameter(description = "A name for the image, kept with its verdict (e.g. the part's serial number)")
            @QueryParam("name") String name,
            @HeaderParam("Content-Length") Long contentLength,
            InputStream body) throws IOException {
        Instant receivedAt = Instant.now();
        String imageName = name == null || name.isBlank() ? "upload" : name.strip();
        if (imageName.length() > MAX_NAME_LENGTH || imageName.chars().anyMatch(Character::isISOControl)) {
            return Response.status(Response.Status.BAD_REQUEST)
                    .entity(new ErrorBody("bad-name", "name must be at most " + MAX_NAME_LENGTH
                            + " characters without control characters"))
                    .type(MediaType.APPLICATION_JSON).build();
        }
        long maxBytes = pipeline.limits().maxBytes();
        if (contentLength != null && contentLength > maxBytes) {
            return answer(pipeline.reject(imageName, SOURCE, receivedAt, RejectReason.TOO_LARGE,
                    "the body has " + contentLength + " bytes; the limit (lineside.limits.max-bytes) is " + maxBytes));
        }
        // Read at most one byte past the limit: enough to know it is too large, never more.
        byte[] bytes = body.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 16));
        if (bytes.length > maxBytes) {
            return answer(pipeline.reject(imageName, SOURCE, receivedAt, RejectReason.TOO_LARGE,
                    "the body has more than " + maxBytes + " bytes, the limit (lineside.limits.max-bytes)"));
        }
        return answer(pipeline.inspect(new ImageInput(bytes, imageName, SOURCE, receivedAt)));
    }

    private static Response answer(Outcome outcome) {
        if (outcome instanceof Inspection inspection) {
            return Response.ok(InspectionResponse.of(inspection), MediaType.APPLICATION_JSON)
                    .header(ID_HEADER, inspection.id()).build();
        }
        Rejection rejection = (Rejection) outcome;
        return Response.status(rejection.reason().httpStatus())
                .entity(new ErrorBody(rejection.reason().label(), rejection.detail()))
                .type(MediaType.APPLICATION_JSON)
                .header(ID_HEADER, rejection.id()).build();
    }
}
