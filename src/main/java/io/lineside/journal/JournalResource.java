package io.lineside.journal;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

@Path("/api/v1/journal")
@Produces(MediaType.APPLICATION_JSON)
public class JournalResource {

    @Inject
    Journal journal;

    @GET
    @Path("/verify")
    @Operation(summary = "Check the verdict journal's hash chain",
            description = "Reads every kept record (streaming) and reports whether each links to the one before it, "
                    + "and the first broken link (file, 1-based line, reason). 200 in both cases: see `ok`.")
    public VerifyReport verify() {
        return journal.verify();
    }
}
