package io.lineside.api;

import io.lineside.history.InspectionStats;
import io.lineside.history.StatsRecorder;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/stats")
@Tag(name = "History")
public class StatsResource {
    @Inject
    StatsRecorder stats;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Counts, defect rate, throughput and score quantiles over a recent window",
            description = "Since this process started, at most the window. Counts by verdict and by source; "
                    + "defectRate = DEFECT / (GOOD + DEFECT), null without inspections; rejected inputs are counted "
                    + "apart. Quantiles are within about 2 % of the exact value; the window's edge is exact to 10 s "
                    + "(5m, 1h) or 5 min (24h).")
    @APIResponse(responseCode = "200", description = "The figures",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InspectionStats.Snapshot.class)))
    @APIResponse(responseCode = "400", description = "Unknown window",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response stats(@Parameter(description = "5m, 1h or 24h") @QueryParam("window") @DefaultValue("5m") String window) {
        InspectionStats.Window w;
        try {
            w = InspectionStats.Window.parse(window);
        } catch (IllegalArgumentException e) {
            return Response.status(Response.Status.BAD_REQUEST).entity(new ErrorBody("bad-window", e.getMessage()))
                    .type(MediaType.APPLICATION_JSON).build();
        }
        return Response.ok(stats.snapshot(w)).build();
    }
}
