package io.lineside.api;

import jakarta.ws.rs.NameBinding;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a JAX-RS resource method (or a whole resource class) as state-changing: it runs only for
 * requests that carry one of the keys in {@code lineside.api.keys} in the {@code X-API-Key} header.
 * With no key configured the endpoint is disabled (403). Enforced by {@link ApiKeyFilter}.
 *
 * <p>Put it on every endpoint that changes the model, the threshold, calibration, or triggers the
 * camera. Read endpoints stay open.
 */
@NameBinding
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface RequiresApiKey {
    /** The request header that carries the key. */
    String HEADER = "X-API-Key";
}
