package io.lineside.api;

import io.lineside.calibration.CalibrationRefused;
import io.lineside.calibration.CalibrationReport;
import io.lineside.calibration.CalibrationService;
import io.lineside.config.LinesideConfig;
import io.lineside.model.ActiveModel;
import io.lineside.model.ModelBundle;
import io.lineside.model.lifecycle.ModelLifecycle;
import io.lineside.model.lifecycle.ModelRefused;
import io.lineside.model.lifecycle.ReloadReport;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeIn;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.multipart.FileUpload;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Changing the model in service and its threshold: {@code PUT /api/v1/model},
 * {@code POST /api/v1/model/rollback}, {@code POST /api/v1/model/calibration}. All of them change
 * state, so all require an API key ({@link RequiresApiKey}); every upload is size-limited.
 */
@Path("/api/v1/model")
@Tag(name = "Model", description = "The model in service")
@SecurityScheme(securitySchemeName = ModelLifecycleResource.API_KEY_SCHEME, type = SecuritySchemeType.APIKEY,
        in = SecuritySchemeIn.HEADER, apiKeyName = RequiresApiKey.HEADER,
        description = "One of lineside.api.keys; state-changing endpoints are disabled (403) when none is configured")
public class ModelLifecycleResource {

    /** The OpenAPI security scheme of {@link RequiresApiKey} endpoints: {@code @SecurityRequirement(name = API_KEY_SCHEME)}. */
    public static final String API_KEY_SCHEME = "apiKey";

    /** Content types accepted for the ONNX bytes of PUT (none given counts as octet-stream). */
    static final String ONNX_TYPE = "application/x-onnx";

    @Inject
    ModelLifecycle lifecycle;

    @Inject
    CalibrationService calibration;

    @Inject
    ActiveModel activeModel;

    @Inject
    LinesideConfig config;

    /** What a model change answers: what happened, and the model now in service. */
    @RegisterForReflection
    public record ModelChange(ReloadReport reload, ModelResponse model) {
    }

    @PUT
    @RequiresApiKey
    @SecurityRequirement(name = API_KEY_SCHEME)
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, ONNX_TYPE})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace the model in service (hot swap)",
            description = "Body: the ONNX file (at most lineside.model.max-upload bytes). It is loaded beside the model in "
                    + "service, validated against the model contract and by a warm-up inference, then switched in atomically; "
                    + "inspections in flight finish on the old model. The replaced model is kept for POST /api/v1/model/rollback. "
                    + "With lineside.model.path set, the new model is also written there so it survives a restart. "
                    + "Requires header X-API-Key.")
    @APIResponse(responseCode = "200", description = "The new model is in service (or was already)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ModelChange.class)))
    @APIResponse(responseCode = "401", description = "Missing or wrong X-API-Key")
    @APIResponse(responseCode = "403", description = "No API key configured: state-changing endpoints are disabled")
    @APIResponse(responseCode = "413", description = "Larger than lineside.model.max-upload")
    @APIResponse(responseCode = "422", description = "The model was refused; the old one keeps serving. detail says why",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public ModelChange replace(@HeaderParam(HttpHeaders.CONTENT_LENGTH) Long contentLength, InputStream body)
            throws IOException {
        long limit = config.model().maxUpload().asLongValue();
        if (contentLength != null && contentLength > limit) {
            throw tooLarge(contentLength, limit);
        }
        byte[] onnx = readAtMost(body, limit);
        if (onnx.length == 0) {
            throw new ModelRefused(400, "empty-body", "Send the ONNX file as the request body (curl -T model.onnx ...)", null);
        }
        return new ModelChange(lifecycle.replaceFromUpload(onnx), inService());
    }

    @POST
    @Path("/rollback")
    @RequiresApiKey
    @SecurityRequirement(name = API_KEY_SCHEME)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Put the previous model back in service",
            description = "Restores the model that was in service before the last change (validated again like any new model). "
                    + "A second rollback undoes the first. Requires header X-API-Key.")
    @APIResponse(responseCode = "200", description = "The previous model is in service",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ModelChange.class)))
    @APIResponse(responseCode = "409", description = "No previous model since start-up",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public ModelChange rollback() {
        return new ModelChange(lifecycle.rollback(), inService());
    }

    @POST
    @Path("/calibration")
    @RequiresApiKey
    @SecurityRequirement(name = API_KEY_SCHEME)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Recalibrate the threshold from a folder of good images on the box",
            description = "Scores every PNG/JPEG/BMP file directly in `folder` (a path under lineside.calibration.root) with "
                    + "the model in service and sets the threshold to the k-th smallest score, k = ceil((n+1)(1-alpha)), as the "
                    + "trainer does. Reports n, alpha, the old and new thresholds and how many of the last 1000 inspections "
                    + "would change verdict. Applies (and persists across restarts) only with apply=true. Requires header X-API-Key.")
    @APIResponse(responseCode = "200", description = "Calibrated (and applied when apply=true)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = CalibrationReport.class)))
    @APIResponse(responseCode = "400", description = "Missing or invalid alpha or folder",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "403", description = "The folder is outside lineside.calibration.root, or no API key is configured",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "422", description = "Too few images for alpha, or unusable images (named in detail)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public CalibrationReport calibrateFolder(
            @Parameter(description = "Target false-reject rate, 0 < alpha < 1, e.g. 0.01") @RestQuery Double alpha,
            @Parameter(description = "Folder of good images, relative to lineside.calibration.root") @RestQuery String folder,
            @Parameter(description = "Put the new threshold in force and persist it") @RestQuery boolean apply) {
        if (folder == null || folder.isBlank()) {
            throw new CalibrationRefused(400, "no-images", "Give folder=<path under lineside.calibration.root> "
                    + "or upload the good images as multipart/form-data (curl -F image=@good1.png -F image=@good2.png ...)");
        }
        return calibration.fromFolder(folder, requireAlpha(alpha), apply);
    }

    @POST
    @Path("/calibration")
    @RequiresApiKey
    @SecurityRequirement(name = API_KEY_SCHEME)
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Recalibrate the threshold from uploaded good images",
            description = "multipart/form-data with one file part per good image (any part name), e.g. "
                    + "curl -F image=@good1.png -F image=@good2.png. Each file at most lineside.limits.max-bytes, all together at "
                    + "most lineside.calibration.max-upload, at most lineside.calibration.max-images files. alpha and apply as "
                    + "query parameters. Otherwise as the folder form. Requires header X-API-Key.")
    @APIResponse(responseCode = "200", description = "Calibrated (and applied when apply=true)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = CalibrationReport.class)))
    @APIResponse(responseCode = "413", description = "A file, or all of them together, too large; or too many files",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public CalibrationReport calibrateUploaded(
            @Parameter(description = "Target false-reject rate, 0 < alpha < 1") @RestQuery Double alpha,
            @Parameter(description = "Put the new threshold in force and persist it") @RestQuery boolean apply,
            @Parameter(description = "As the folder form (a request without Content-Type lands here)") @RestQuery String folder,
            @RestForm(FileUpload.ALL) List<FileUpload> files) {
        List<FileUpload> uploads = files == null ? List.of() : files;
        if (uploads.isEmpty() && folder != null && !folder.isBlank()) {
            // `curl -X POST '...?folder=good&alpha=0.01'` sends no Content-Type; RESTEasy routes that here.
            return calibrateFolder(alpha, folder, apply);
        }
        double a = requireAlpha(alpha);
        long perFile = config.limits().maxBytes().asLongValue();
        long total = 0;
        if (uploads.size() > config.calibration().maxImages()) {
            throw new CalibrationRefused(413, "too-many-images", uploads.size()
                    + " files is more than lineside.calibration.max-images = " + config.calibration().maxImages());
        }
        List<CalibrationService.CalibrationImage> images = new ArrayList<>(uploads.size());
        for (FileUpload upload : uploads) {
            String name = Optional.ofNullable(upload.fileName()).filter(n -> !n.isBlank()).orElse(upload.name());
            if (upload.size() > perFile) {
                throw new CalibrationRefused(413, "too-large", "'" + name + "' has " + upload.size()
                        + " bytes; each image may have at most lineside.limits.max-bytes = " + perFile);
            }
            total += upload.size();
            images.add(new CalibrationService.CalibrationImage(name, upload.uploadedFile()));
        }
        long totalLimit = config.calibration().maxUpload().asLongValue();
        if (total > totalLimit) {
            throw new CalibrationRefused(413, "too-large", "The upload has " + total
                    + " bytes of images; at most lineside.calibration.max-upload = " + totalLimit);
        }
        return calibration.fromUploads(images, a, apply);
    }

    @ServerExceptionMapper
    public Response refusedModel(ModelRefused e) {
        return json(e.status(), e.error(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response refusedCalibration(CalibrationRefused e) {
        return json(e.status(), e.error(), e.detail());
    }

    /** Like {@link ApiErrors#json} but for any status code (JAX-RS has no constant for 422). */
    private static Response json(int status, String error, String detail) {
        return Response.status(status).entity(new ErrorBody(error, detail)).type(MediaType.APPLICATION_JSON).build();
    }

    private ModelResponse inService() {
        return activeModel.current().map(m -> ModelResponse.of(m).withLifecycle(lifecycle.lastReload().orElse(null),
                lifecycle.previous().map(ModelBundle::identity).orElse(null))).orElse(null);
    }

    private static double requireAlpha(Double alpha) {
        if (alpha == null) {
            throw new CalibrationRefused(400, "invalid-alpha",
                    "alpha (the target false-reject rate, e.g. alpha=0.01) is required as a query parameter");
        }
        return alpha;
    }

    private static ModelRefused tooLarge(long size, long limit) {
        return new ModelRefused(413, "too-large", "The model has " + (size == limit + 1 ? "more than " + limit : size)
                + " bytes; lineside.model.max-upload allows " + limit, null);
    }

    private static byte[] readAtMost(InputStream body, long limit) throws IOException {
        // limit + 1 bytes tell "exactly at the limit" from "over it" without buffering more.
        byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (bytes.length > limit) {
            throw tooLarge(limit + 1, limit);
        }
        return bytes;
    }
}
