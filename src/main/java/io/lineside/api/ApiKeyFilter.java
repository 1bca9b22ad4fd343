package io.lineside.api;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

/**
 * Guards every endpoint annotated {@link RequiresApiKey}: 403 when no key is configured (the
 * endpoint is disabled), 401 when the {@code X-API-Key} header is missing or wrong. Runs before
 * the request body is used, at authentication priority. Refusals are logged without the key.
 */
@Provider
@RequiresApiKey
@Priority(Priorities.AUTHENTICATION)
public class ApiKeyFilter implements ContainerRequestFilter {

    private static final Logger LOG = Logger.getLogger(ApiKeyFilter.class);

    @Inject
    ApiKeys keys;

    @Override
    public void filter(ContainerRequestContext request) {
        String what = request.getMethod() + " /" + request.getUriInfo().getPath().replaceFirst("^/", "");
        if (!keys.enabled()) {
            LOG.warnf("Refused %s: no API key is configured, state-changing endpoints are disabled", what);
            request.abortWith(refuse(Response.Status.FORBIDDEN, "disabled",
                    "No API key is configured (lineside.api.keys), so state-changing endpoints are disabled. "
                            + "Configure a key and send it in header " + RequiresApiKey.HEADER + "."));
            return;
        }
        String presented = request.getHeaderString(RequiresApiKey.HEADER);
        if (presented == null || presented.isBlank()) {
            LOG.warnf("Refused %s: no %s header", what, RequiresApiKey.HEADER);
            request.abortWith(unauthorized("missing-api-key",
                    "This endpoint changes state and requires an API key in header " + RequiresApiKey.HEADER + "."));
            return;
        }
        if (!keys.accepts(presented)) {
            LOG.warnf("Refused %s: wrong API key", what);
            request.abortWith(unauthorized("invalid-api-key",
                    "The API key in header " + RequiresApiKey.HEADER + " is not one of lineside.api.keys."));
        }
    }

    private static Response unauthorized(String error, String detail) {
        return Response.fromResponse(refuse(Response.Status.UNAUTHORIZED, error, detail))
                // RFC 9110 asks 401 responses to name the scheme; there is no registered one for API keys.
                .header(HttpHeaders.WWW_AUTHENTICATE, "ApiKey header=\"" + RequiresApiKey.HEADER + "\"")
                .build();
    }

    private static Response refuse(Response.Status status, String error, String detail) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ErrorBody(error, detail)).build();
    }
}
