package io.lineside.api;

import io.lineside.history.HistoryIndex;
import io.lineside.history.InspectionView;
import io.lineside.history.IndexedJournal;
import io.lineside.history.JournalHistory;
import io.lineside.history.LiveFeed;
import io.lineside.history.Retention;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@Path("/api/v1/inspections")
@Tag(name = "History", description = "Past verdicts from the journal, their images and heatmaps, and the live stream")
public class HistoryResource {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 1000;
    private static final Pattern RELATIVE = Pattern.compile("(\\d{1,6})(s|m|h|d)");
    private static final CacheControl IMMUTABLE = CacheControl.valueOf("private, max-age=86400, immutable");

    @Inject
    JournalHistory history;

    @Inject
    Retention retention;

    @Inject
    LiveFeed feed;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "List past inspections, newest first",
            description = "Paged from the verdict journal. Pass the answer's `next` as `before` for the next page.")
    @APIResponse(responseCode = "200", description = "A page",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JournalHistory.Page.class)))
    @APIResponse(responseCode = "400", description = "A parameter is malformed or the cursor is unknown",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response list(
            @Parameter(description = "Page size, 1.." + MAX_LIMIT + " (default " + DEFAULT_LIMIT + ")") @QueryParam("limit") Integer limit,
            @Parameter(description = "Only records older than this: an inspection id (the previous page's `next`) or an ISO-8601 time")
            @QueryParam("before") String before,
            @Parameter(description = "GOOD, DEFECT or REJECTED") @QueryParam("verdict") String verdict,
            @Parameter(description = "Source label: api, folder, or a camera's name") @QueryParam("source") String source,
            @Parameter(description = "Only records from this time on: ISO-8601 time, or a span back from now such as 15m, 1h, 7d")
            @QueryParam("since") String since) {
        int n = limit == null ? DEFAULT_LIMIT : limit;
        if (n < 1 || n > MAX_LIMIT) {
            return bad("bad-limit", "limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        Integer verdictCode = null;
        if (verdict != null && !verdict.isBlank()) {
            switch (verdict.strip().toUpperCase(Locale.ROOT)) {
                case "GOOD" -> verdictCode = HistoryIndex.GOOD;
                case "DEFECT" -> verdictCode = HistoryIndex.DEFECT;
                case "REJECTED" -> verdictCode = HistoryIndex.REJECTED;
                default -> {
                    return bad("bad-verdict", "verdict must be GOOD, DEFECT or REJECTED, got '" + verdict + "'");
                }
            }
        }
        Instant sinceTime = null;
        if (since != null && !since.isBlank()) {
            Optional<Instant> t = parseTime(since.strip(), true);
            if (t.isEmpty()) {
                return bad("bad-since", "since must be an ISO-8601 time (2026-11-28T10:00:00Z) or a span such as 15m, 1h, 7d; got '" + since + "'");
            }
            sinceTime = t.get();
        }
        Instant beforeTime = null;
        String beforeId = null;
        if (before != null && !before.isBlank()) {
            Optional<Instant> t = parseTime(before.strip(), false);
            if (t.isPresent()) {
                beforeTime = t.get();
            } else {
                beforeId = before.strip();
            }
        }
        try {
            return Response.ok(history.page(new IndexedJournal.Filter(sinceTime, beforeTime, beforeId, verdictCode,
                    source == null || source.isBlank() ? null : source.strip(), n))).build();
        } catch (IndexedJournal.UnknownCursor e) {
            return bad("bad-cursor", e.getMessage());
        }
    }

    @GET
    @Path("stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Live verdicts as Server-Sent Events",
            description = "One `data:` event per committed outcome, as JSON (the fields of a history item). "
                    + "A client that falls behind misses events rather than slowing the line.")
    public Multi<InspectionView> stream() {
        return feed.subscribe();
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "One past inspection")
    @APIResponse(responseCode = "200", description = "The record",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InspectionView.class)))
    @APIResponse(responseCode = "404", description = "No such inspection",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response get(@PathParam("id") String id) {
        return history.get(id)
                .map(v -> Response.ok(v).build())
                .orElseGet(() -> notFound("not-found", "no inspection with id '" + id + "' in the journal"));
    }

    @GET
    @Path("{id}/image")
    @Produces({"image/jpeg", "image/png", "image/bmp", MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
    @Operation(summary = "The inspected image as received", description = "Kept for recent inspections only (lineside.retention.*).")
    @APIResponse(responseCode = "200", description = "The image bytes")
    @APIResponse(responseCode = "404", description = "Unknown inspection, or its image is no longer kept",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response image(@PathParam("id") String id) {
        Optional<byte[]> bytes = retention.image(id);
        if (bytes.isEmpty()) {
            return missingImage(id, "not-kept", "the image of inspection " + id + " is no longer kept (beyond"
                    + " lineside.retention.images / lineside.retention.max-disk); its record remains in the journal");
        }
        return Response.ok(bytes.get(), contentType(bytes.get())).cacheControl(IMMUTABLE).build();
    }

    @GET
    @Path("{id}/heatmap.png")
    @Produces({"image/png", MediaType.APPLICATION_JSON})
    @Operation(summary = "The residual heatmap over the image",
            description = "The map shown to people (format 1: the residual map; format 2: the graph's anomaly_map),"
                    + " upsampled to the image's size (to the region of interest when one is set, the rest dimmed),"
                    + " overlaid in the inferno colour map with a colour bar of its numeric range (format 1: the threshold"
                    + " mark when the score is max-blur or ssim; format 2: the model's fixed scale, lineside.map.max)."
                    + " Kept for recent inspections only.")
    @APIResponse(responseCode = "200", description = "PNG of the image's size")
    @APIResponse(responseCode = "404", description = "Unknown inspection, image no longer kept, or model no longer in service",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response heatmap(@PathParam("id") String id) {
        try {
            return Response.ok(retention.heatmapPng(id), "image/png").cacheControl(IMMUTABLE).build();
        } catch (Retention.Unavailable e) {
            return missingImage(id, e.error, e.getMessage());
        }
    }

    @GET
    @Path("{id}/reconstruction.png")
    @Produces({"image/png", MediaType.APPLICATION_JSON})
    @Operation(summary = "The model's reconstruction of the image",
            description = "What the model expected to see, at model resolution (of the region of interest when one is"
                    + " set): every format-1 model outputs it, a format-2 model only when its graph declares the optional"
                    + " output 'reconstruction'. Recomputed with the model that scored the image, while it is in service."
                    + " Kept images only.")
    @APIResponse(responseCode = "200", description = "PNG of the model's input size")
    @APIResponse(responseCode = "404", description = "Unknown inspection, image no longer kept, model no longer in service"
            + " (reconstruction-unavailable) or a model without a reconstruction (no-reconstruction)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorBody.class)))
    public Response reconstruction(@PathParam("id") String id) {
        try {
            return Response.ok(retention.reconstructionPng(id), "image/png").cacheControl(IMMUTABLE).build();
        } catch (Retention.Unavailable e) {
            return missingImage(id, e.error, e.getMessage());
        }
    }

    /** 404 with the reason; an id the journal does not know at all is said to be unknown. */
    private Response missingImage(String id, String error, String detail) {
        if (history.get(id).isEmpty()) {
            return notFound("not-found", "no inspection with id '" + id + "' in the journal");
        }
        return notFound(error, detail);
    }

    static String contentType(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
            return "image/jpeg";
        }
        if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "image/png";
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return "image/bmp";
        }
        return MediaType.APPLICATION_OCTET_STREAM;
    }

    /** An ISO-8601 instant, or (when allowed) a span back from now: 90s, 15m, 1h, 7d. */
    static Optional<Instant> parseTime(String text, boolean allowRelative) {
        if (allowRelative) {
            Matcher m = RELATIVE.matcher(text);
            if (m.matches()) {
                long amount = Long.parseLong(m.group(1));
                Duration d = switch (m.group(2)) {
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
                return Optional.of(Instant.now().minus(d));
            }
        }
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Response bad(String error, String detail) {
        return Response.status(Response.Status.BAD_REQUEST).entity(new ErrorBody(error, detail))
                .type(MediaType.APPLICATION_JSON).build();
    }

    private static Response notFound(String error, String detail) {
        return Response.status(Response.Status.NOT_FOUND).entity(new ErrorBody(error, detail))
                .type(MediaType.APPLICATION_JSON).header("Cache-Control", "no-store").build();
    }
}
