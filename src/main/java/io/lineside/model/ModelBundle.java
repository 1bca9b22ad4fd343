package io.lineside.model;

import io.lineside.inspection.ModelIdentity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One model as the contract defines it: the ONNX file's bytes, their sha256, and its parsed metadata.
 *
 * @param origin where it came from: a file path or {@code classpath:...}
 */
public record ModelBundle(byte[] onnx, String sha256, ModelMetadata metadata, String origin) {

    public ModelIdentity identity() {
        return new ModelIdentity(metadata.name(), metadata.version(), sha256);
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
