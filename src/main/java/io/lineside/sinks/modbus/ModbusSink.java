package io.lineside.sinks.modbus;

import com.digitalpetri.modbus.server.ModbusTcpServer;
import com.digitalpetri.modbus.tcp.server.NettyTcpServerTransport;
import io.lineside.config.LinesideConfig;
import io.lineside.ingest.camera.CameraSource;
import io.lineside.sinks.LineState;
import io.lineside.sinks.SinkMetrics;
import io.lineside.sinks.SinkStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code lineside.modbus.*}: a Modbus TCP server (digitalpetri modbus) showing {@link LineState} in the
 * {@link RegisterMap}; coil 0 written to 1 grabs a camera snapshot and falls back to 0 when it is done.
 */
@ApplicationScoped
public class ModbusSink {

    private static final Logger LOG = Logger.getLogger(ModbusSink.class);
    public static final String SINK = "modbus";

    @Inject
    LinesideConfig config;

    @Inject
    LineState state;

    @Inject
    CameraSource camera;

    @Inject
    MeterRegistry registry;

    private volatile boolean enabled;
    private volatile ModbusTcpServer server;
    private volatile String failure;
    private SinkMetrics metrics;
    private ExecutorService triggers;
    private final AtomicBoolean triggerPending = new AtomicBoolean();

    void start(@Observes StartupEvent event) {
        LinesideConfig.Modbus c = config.modbus();
        if (c.port().isEmpty()) {
            return;
        }
        enabled = true;
        metrics = new SinkMetrics(registry, SINK, () -> 0, "bind", "refused-write", "trigger-failed");
        state.onChange(s -> metrics.published(1));
        triggers = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lineside-modbus-trigger");
            t.setDaemon(true);
            return t;
        });
        ModbusServices services = new ModbusServices(this::registers, triggerPending::get, this::trigger,
                () -> metrics.error("refused-write"));
        NettyTcpServerTransport transport = NettyTcpServerTransport.create(b -> {
            b.setBindAddress(c.host());
            b.setPort(c.port().getAsInt());
        });
        ModbusTcpServer s = ModbusTcpServer.create(transport, services);
        try {
            s.start();
            server = s;
            metrics.connected(true);
            LOG.infof("Modbus TCP: listening on %s:%d (unit id %d, %d holding registers; trigger coil %s)", c.host(),
                    c.port().getAsInt(), ModbusServices.UNIT_ID, RegisterMap.SIZE, c.allowTrigger() ? "enabled" : "disabled");
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            failure = "cannot listen on " + c.host() + ":" + c.port().getAsInt() + ": " + cause.getMessage();
            metrics.error("bind");
            LOG.errorf("Modbus TCP: %s", failure);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        ModbusTcpServer s = server;
        server = null;
        if (s != null) {
            try {
                s.stop();
            } catch (Exception e) {
                LOG.debugf("Modbus TCP: stop: %s", e.getMessage());
            } finally {
                metrics.connected(false);
            }
        }
        if (triggers != null) {
            triggers.shutdownNow();
        }
    }

    int[] registers() {
        return RegisterMap.encode(state.snapshot(), state.ready(), state.threshold());
    }

    /** Coil 0 to 1: one snapshot at a time; a write while one is pending is accepted and merged into it. */
    private boolean trigger() {
        if (!config.modbus().allowTrigger()) {
            return false;
        }
        if (triggerPending.compareAndSet(false, true)) {
            triggers.execute(() -> {
                try {
                    camera.trigger();
                } catch (RuntimeException e) {
                    metrics.error("trigger-failed");
                    LOG.warnf("Modbus trigger: the camera snapshot failed: %s", e.getMessage());
                } finally {
                    triggerPending.set(false);
                }
            });
        }
        return true;
    }

    public Optional<SinkStatus> status() {
        if (!enabled) {
            return Optional.empty();
        }
        LinesideConfig.Modbus c = config.modbus();
        Map<String, Object> d = SinkStatus.newDetails();
        d.put("listen", c.host() + ":" + c.port().getAsInt());
        d.put("unitId", ModbusServices.UNIT_ID);
        d.put("allowTrigger", c.allowTrigger());
        d.put("sequence", state.snapshot().sequence());
        return Optional.of(new SinkStatus(SINK, server != null, server != null ? null : failure, d));
    }
}
