package io.lineside.ingest.camera;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;

/** The appliance with its camera pointed at the test's own HTTP camera (started first, by {@link CameraTestResource}). */
public class CameraProfile implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(CameraTestResource.class));
    }
}
