package io.lineside.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

import java.util.concurrent.atomic.AtomicInteger;

/** A test-only endpoint pair: one guarded by {@link RequiresApiKey}, one open; counts the calls that got through. */
@Path("/test/guarded")
public class GuardedProbeResource {

    static final AtomicInteger CHANGES = new AtomicInteger();

    @POST
    @RequiresApiKey
    public String change(String body) {
        CHANGES.incrementAndGet();
        return "changed";
    }

    @GET
    public String read() {
        return "read";
    }
}
