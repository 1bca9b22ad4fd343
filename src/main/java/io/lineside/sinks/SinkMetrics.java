package io.lineside.sinks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One sink's meters: {@code lineside_sink_published_total{sink}}, {@code lineside_sink_errors_total{sink,reason}},
 * {@code lineside_sink_backlog{sink}} (outcomes committed but not yet acknowledged) and
 * {@code lineside_sink_connected{sink}} (1 while the sink can deliver: a broker session, a listening server).
 */
public final class SinkMetrics {

    private final MeterRegistry registry;
    private final String sink;
    private final Counter published;
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();
    private volatile boolean connected;
    private final Supplier<Number> backlog;

    /**
     * @param reasons error reasons registered at zero now, so rate() and increase() see the first error
     */
    public SinkMetrics(MeterRegistry registry, String sink, Supplier<Number> backlog, String... reasons) {
        this.registry = registry;
        this.sink = sink;
        this.backlog = backlog;
        // Quarkus hands out Micrometer's global composite registry, where a gauge keeps the function it
        // was first registered with: a gauge left by an earlier start in this JVM (the test suite starts
        // the application several times) would report that old sink. Replace it.
        for (String gauge : new String[]{"lineside.sink.backlog", "lineside.sink.connected"}) {
            registry.find(gauge).tag("sink", sink).meters().forEach(registry::remove);
        }
        this.published = Counter.builder("lineside.sink.published")
                .description("Outcomes delivered by a line sink (acknowledged by the broker; applied to the server's state)")
                .tag("sink", sink)
                .register(registry);
        Gauge.builder("lineside.sink.backlog", this, m -> m.backlog.get().doubleValue())
                .description("Outcomes committed to the journal but not yet acknowledged by the sink's peer")
                .tag("sink", sink)
                .strongReference(true)
                .register(registry);
        Gauge.builder("lineside.sink.connected", this, m -> m.connected ? 1 : 0)
                .description("1 while the sink can deliver (MQTT: a broker session; OPC UA, Modbus: the server listens)")
                .tag("sink", sink)
                .strongReference(true)
                .register(registry);
        for (String reason : reasons) {
            errorCounter(reason);
        }
    }

    public void published(long n) {
        published.increment(n);
    }

    public double publishedCount() {
        return published.count();
    }

    public void error(String reason) {
        errorCounter(reason).increment();
    }

    public void connected(boolean now) {
        connected = now;
    }

    public boolean connected() {
        return connected;
    }

    private Counter errorCounter(String reason) {
        return errors.computeIfAbsent(reason, r -> Counter.builder("lineside.sink.errors")
                .description("Line sink failures, by sink and reason")
                .tags("sink", sink, "reason", r)
                .register(registry));
    }
}
