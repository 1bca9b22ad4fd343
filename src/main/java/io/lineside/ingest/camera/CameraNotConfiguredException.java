package io.lineside.ingest.camera;

/** A camera operation was asked for but {@code lineside.camera.url} is not set. */
public final class CameraNotConfiguredException extends RuntimeException {
    public CameraNotConfiguredException() {
        super("no camera is configured: set lineside.camera.url to the camera's snapshot URL", null, false, false);
    }
}
