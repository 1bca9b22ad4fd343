package io.lineside.inspection;

/** Which model produced a verdict; sha256 is of the ONNX file's bytes. */
public record ModelIdentity(String name, String version, String sha256) {
}
