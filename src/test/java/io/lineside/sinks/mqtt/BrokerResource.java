package io.lineside.sinks.mqtt;

import io.lineside.sinks.FakeCamera;
import io.lineside.sinks.SinkScene;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Starts a real mosquitto before the appliance and points {@code lineside.mqtt.*} at it. The password
 * the appliance uses comes from the init argument {@code password} (a wrong one for the refusal test).
 */
public class BrokerResource implements QuarkusTestResourceLifecycleManager {

    public static final String PASSWORD = "s3cret-broker-pw";
    public static final String PREFIX = "plant/line7";

    /** The running broker, for tests that stop and restart it. */
    public static volatile Mosquitto broker;
    /** A trigger-only camera that {@code <prefix>/trigger} fires. */
    public static volatile FakeCamera camera;

    private String appliancePassword = PASSWORD;

    @Override
    public void init(Map<String, String> initArgs) {
        appliancePassword = initArgs.getOrDefault("password", PASSWORD);
    }

    @Override
    public Map<String, String> start() {
        try {
            broker = Mosquitto.start(Path.of("target", "test-data", "mosquitto-" + UUID.randomUUID()).toAbsolutePath(),
                    PASSWORD);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start mosquitto (apt-get install mosquitto)", e);
        }
        try {
            camera = FakeCamera.start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, String> c = SinkScene.config("mqtt");
        c.put("lineside.camera.url", camera.url());
        c.put("lineside.camera.name", FakeCamera.NAME);
        c.put("lineside.camera.interval", "0s");
        c.put("lineside.mqtt.allow-trigger", "true");
        c.put("lineside.mqtt.url", broker.url());
        c.put("lineside.mqtt.username", Mosquitto.USER);
        c.put("lineside.mqtt.password", appliancePassword);
        c.put("lineside.mqtt.topic-prefix", PREFIX);
        c.put("lineside.mqtt.client-id", "lineside-test-" + UUID.randomUUID());
        return c;
    }

    @Override
    public void stop() {
        try {
            if (broker != null) {
                broker.close();
            }
            if (camera != null) {
                camera.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
