package io.lineside.ingest.camera;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/** The appliance with its camera pointed at the test's own HTTP camera (started first, by {@link CameraTestResource}). */
public class CameraProfile implements QuarkusTestProfile {
    /** The trigger changes state, so it needs an API key. */
    public static final String KEY = "camera-test-key";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("lineside.api.keys", KEY);
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(CameraTestResource.class));
    }
}
