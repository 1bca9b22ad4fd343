package io.lineside.sinks.modbus;

import io.lineside.sinks.FakeCamera;
import io.lineside.sinks.SinkScene;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

/** The appliance with a Modbus server on a free loopback port and a trigger-only camera. */
public class ModbusResource implements QuarkusTestResourceLifecycleManager {

    public static volatile int port;
    public static volatile FakeCamera camera;

    @Override
    public Map<String, String> start() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
            camera = FakeCamera.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> c = SinkScene.config("modbus");
        c.put("lineside.modbus.port", String.valueOf(port));
        c.put("lineside.modbus.host", "127.0.0.1");
        c.put("lineside.modbus.allow-trigger", "true");
        c.put("lineside.camera.url", camera.url());
        c.put("lineside.camera.name", FakeCamera.NAME);
        c.put("lineside.camera.interval", "0s");
        return c;
    }

    @Override
    public void stop() {
        if (camera != null) {
            camera.close();
        }
    }
}
