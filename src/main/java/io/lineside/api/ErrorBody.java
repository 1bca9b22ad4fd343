package io.lineside.api;

/** Every error answer of the API: a short machine-readable {@code error} and a human {@code detail}. */
public record ErrorBody(String error, String detail) {
}
