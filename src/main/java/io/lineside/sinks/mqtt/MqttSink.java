package io.lineside.sinks.mqtt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineside.config.LinesideConfig;
import io.lineside.history.InspectionView;
import io.lineside.history.Retention;
import io.lineside.ingest.camera.CameraSource;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Outcome;
import io.lineside.journal.Journal;
import io.lineside.journal.JournalRecord;
import io.lineside.model.ActiveModel;
import io.lineside.model.ModelActivated;
import io.lineside.sinks.HostName;
import io.lineside.sinks.JournalFeed;
import io.lineside.sinks.SinkCursor;
import io.lineside.sinks.SinkMetrics;
import io.lineside.sinks.SinkStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;

/** {@code lineside.mqtt.*}: starts the {@link MqttPublisher} when a broker URL is set, feeds it wake-ups. */
@ApplicationScoped
public class MqttSink {

    public static final String SINK = "mqtt";

    /** The retained status message: {@code online} with the model in service, or {@code offline} (the will). */
    @RegisterForReflection
    public record StatusMessage(String status, String modelName, String modelVersion, String modelSha256, Instant since) {
    }

    @Inject
    LinesideConfig config;

    @Inject
    Journal journal;

    @Inject
    MeterRegistry registry;

    @Inject
    ObjectMapper mapper;

    @Inject
    Retention retention;

    @Inject
    CameraSource camera;

    @Inject
    ActiveModel activeModel;

    private volatile MqttPublisher publisher;

    void start(@Observes StartupEvent event) {
        LinesideConfig.Mqtt c = config.mqtt();
        if (c.url().isEmpty()) {
            return;
        }
        String host = HostName.get();
        MqttPublisher.Settings settings = new MqttPublisher.Settings(c.url().get(),
                c.clientId().orElse("lineside-" + host), c.username(), c.password(),
                stripSlashes(c.topicPrefix().orElse("lineside/" + host)), c.qos(), c.allowTrigger());
        JournalFeed feed;
        try {
            feed = JournalFeed.open(journal, new SinkCursor(journal.directory(), SINK));
        } catch (IOException e) {
            throw new UncheckedIOException("MQTT sink: " + e.getMessage(), e);
        }
        SinkMetrics metrics = new SinkMetrics(registry, SINK, feed::backlog, MqttPublisher.REASONS);
        MqttPublisher p = new MqttPublisher(settings, feed, metrics, this::payload, this::online,
                json(new StatusMessage("offline", null, null, null, null)), camera::trigger);
        p.start();
        publisher = p;
    }

    void stop(@Observes ShutdownEvent event) {
        MqttPublisher p = publisher;
        publisher = null;
        if (p != null) {
            p.close();
        }
    }

    /** Runs right after each commit: only a wake-up, the publisher reads the journal itself. */
    void onOutcome(@Observes Outcome outcome) {
        MqttPublisher p = publisher;
        if (p != null) {
            p.wake();
        }
    }

    void onModelActivated(@Observes ModelActivated event) {
        MqttPublisher p = publisher;
        if (p != null) {
            p.statusChanged();
        }
    }

    /** Empty when MQTT is off. */
    public Optional<SinkStatus> status() {
        MqttPublisher p = publisher;
        return p == null ? Optional.empty() : Optional.of(p.status());
    }

    private byte[] payload(JournalRecord record) {
        return json(InspectionView.of(record, !record.wasRejected() && retention.isKept(record.id())));
    }

    private byte[] online() {
        Optional<ModelIdentity> model = activeModel.current().map(m -> m.bundle().identity());
        return json(new StatusMessage("online", model.map(ModelIdentity::name).orElse(null),
                model.map(ModelIdentity::version).orElse(null), model.map(ModelIdentity::sha256).orElse(null),
                Instant.now()));
    }

    private byte[] json(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String stripSlashes(String prefix) {
        String p = prefix;
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

}
