package io.lineside.api;

import io.lineside.inspection.InspectionFailedException;
import io.lineside.model.ModelUnavailableException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Failures of the appliance (not of the input) as JSON errors, so clients always get {error, detail}. */
public class ApiErrors {
    private static final Logger LOG = Logger.getLogger(ApiErrors.class);

    @ServerExceptionMapper
    public Response noModel(ModelUnavailableException e) {
        return json(Response.Status.SERVICE_UNAVAILABLE, "no-model", e.getMessage());
    }

    @ServerExceptionMapper
    public Response inspectionFailed(InspectionFailedException e) {
        LOG.error("inspection failed", e);
        return json(Response.Status.SERVICE_UNAVAILABLE, "inspection-failed", e.getMessage());
    }

    @ServerExceptionMapper
    public Response unsupportedMediaType(NotSupportedException e) {
        return json(Response.Status.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                "send the image as image/jpeg, image/png, image/bmp or application/octet-stream");
    }

    static Response json(Response.Status status, String error, String detail) {
        return Response.status(status).entity(new ErrorBody(error, detail)).type(MediaType.APPLICATION_JSON).build();
    }
}
