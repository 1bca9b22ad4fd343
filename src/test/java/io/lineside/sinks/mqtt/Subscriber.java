package io.lineside.sinks.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A plant-side consumer: subscribes (QoS 1) and keeps every message it gets, in arrival order. */
public final class Subscriber implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One message; {@code receivedAt} is the wall clock at arrival (comparable with the message's commit {@code time}). */
    public record Message(String topic, JsonNode body, boolean retained, long receivedNanos, Instant receivedAt) {
        /** From the outcome's journal commit ({@code time}) to its arrival here. */
        public double latencyMillis() {
            Instant committed = Instant.parse(body.get("time").asText());
            return Duration.between(committed, receivedAt).toNanos() / 1e6;
        }
    }

    private final Mqtt3AsyncClient client;
    private final List<Message> messages = new ArrayList<>();

    private Subscriber(Mqtt3AsyncClient client) {
        this.client = client;
    }

    /**
     * @param persistent a persistent session that reconnects by itself: the broker queues what
     *                   arrives while it is away (and keeps it over a clean broker restart)
     */
    public static Subscriber connect(int port, String clientId, String topic, boolean persistent) throws Exception {
        Mqtt3ClientBuilder b = MqttClient.builder().useMqttVersion3().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(port)
                // on the client, not the connect: automatic reconnects send them again
                .simpleAuth().username("reader").password("reader-secret".getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
        if (persistent) {
            b = b.automaticReconnect().initialDelay(100, TimeUnit.MILLISECONDS).maxDelay(1, TimeUnit.SECONDS)
                    .applyAutomaticReconnect();
        }
        Subscriber s = new Subscriber(b.buildAsync());
        s.client.connectWith().cleanSession(!persistent).send().get(10, TimeUnit.SECONDS);
        s.client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            Instant at = Instant.now();
            JsonNode body;
            try {
                body = JSON.readTree(p.getPayloadAsBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            synchronized (s) {
                s.messages.add(new Message(p.getTopic().toString(), body, p.isRetain(), System.nanoTime(), at));
                s.notifyAll();
            }
        }).send().get(10, TimeUnit.SECONDS);
        return s;
    }

    public synchronized List<Message> messages() {
        return new ArrayList<>(messages);
    }

    /** Ids of the verdict messages in order of first arrival (duplicates dropped, as a consumer dedupes). */
    public synchronized List<String> distinctIds() {
        Set<String> ids = new LinkedHashSet<>();
        for (Message m : messages) {
            if (m.body().has("id")) {
                ids.add(m.body().get("id").asText());
            }
        }
        return new ArrayList<>(ids);
    }

    /** Waits (bounded) until the messages satisfy {@code condition}; returns whether they did. */
    public synchronized boolean await(Predicate<List<Message>> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(messages)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    public boolean awaitIds(int n, Duration timeout) throws InterruptedException {
        return await(m -> distinctIds().size() >= n, timeout);
    }

    @Override
    public void close() {
        try {
            client.disconnect().get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the broker may be gone already
        }
    }
}
