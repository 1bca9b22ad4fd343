package io.lineside.sinks.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.exceptions.ConnectionFailedException;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import io.lineside.journal.JournalRecord;
import io.lineside.sinks.JournalFeed;
import io.lineside.sinks.SinkMetrics;
import io.lineside.sinks.SinkStatus;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Publishes every journal record after the sink's cursor to {@code <prefix>/verdict}, in order, and
 * moves the cursor as the broker acknowledges (QoS 1 PUBACK). One thread reads the journal and
 * publishes with up to {@link #WINDOW} messages in flight; a lost connection rewinds to the
 * acknowledged cursor and everything unacknowledged is published again after the reconnect. Nothing
 * here blocks an inspection: while the broker is away the journal is the backlog.
 */
public final class MqttPublisher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MqttPublisher.class);

    /** Messages published and not yet acknowledged, at most. */
    static final int WINDOW = 256;
    /** How often the acknowledged cursor is saved: a kill -9 republishes at most this much (duplicates, not losses). */
    static final Duration SAVE_EVERY = Duration.ofMillis(100);
    static final Duration MIN_BACKOFF = Duration.ofMillis(250);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    static final String[] REASONS = {"unreachable", "auth", "refused", "timeout", "connection-lost", "publish-failed",
            "cursor-write", "trigger-failed"};

    /** What the bean hands over from {@code lineside.mqtt.*}. */
    public record Settings(URI url, String clientId, Optional<String> username, Optional<String> password,
                           String topicPrefix, int qos, boolean allowTrigger) {
        public String verdictTopic() {
            return topicPrefix + "/verdict";
        }

        public String statusTopic() {
            return topicPrefix + "/status";
        }

        public String triggerTopic() {
            return topicPrefix + "/trigger";
        }

        /** The broker's address as it may be shown: no user info. */
        public String shownUrl() {
            return url.getScheme() + "://" + url.getHost() + ":" + port();
        }

        boolean tls() {
            return "ssl".equals(url.getScheme()) || "mqtts".equals(url.getScheme());
        }

        int port() {
            return url.getPort() > 0 ? url.getPort() : tls() ? 8883 : 1883;
        }
    }

    /** One broker session; its callbacks only ever mark this session as lost. */
    private static final class Session {
        final Mqtt3AsyncClient client;
        volatile String lost;

        Session(Mqtt3AsyncClient client) {
            this.client = client;
        }
    }

    private final Settings settings;
    private final JournalFeed feed;
    private final SinkMetrics metrics;
    private final Function<JournalRecord, byte[]> payload;
    private final Supplier<byte[]> onlineStatus;
    private final byte[] offlineStatus;
    private final Runnable trigger;
    private final MqttQos qos;

    private final Semaphore wakeup = new Semaphore(0);
    private final ScheduledExecutorService saver = Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "lineside-mqtt-cursor"));
    private final ThreadPoolExecutor triggers;
    private final Thread thread;
    private volatile boolean running;
    private volatile Session session;
    private volatile String lastError;
    private volatile Instant lastErrorAt;

    public MqttPublisher(Settings settings, JournalFeed feed, SinkMetrics metrics, Function<JournalRecord, byte[]> payload,
                         Supplier<byte[]> onlineStatus, byte[] offlineStatus, Runnable trigger) {
        if (settings.qos() < 0 || settings.qos() > 2) {
            throw new IllegalArgumentException("lineside.mqtt.qos must be 0, 1 or 2, not " + settings.qos());
        }
        String scheme = settings.url().getScheme();
        if (!"tcp".equals(scheme) && !"mqtt".equals(scheme) && !settings.tls() || settings.url().getHost() == null) {
            throw new IllegalArgumentException("lineside.mqtt.url must look like tcp://host:1883 or ssl://host:8883, not "
                    + settings.shownUrl());
        }
        this.settings = settings;
        this.feed = feed;
        this.metrics = metrics;
        this.payload = payload;
        this.onlineStatus = onlineStatus;
        this.offlineStatus = offlineStatus;
        this.trigger = trigger;
        this.qos = MqttQos.fromCode(settings.qos());
        // Triggers wait for a camera and an inspection; a few may queue, more are refused and counted.
        this.triggers = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(8),
                r -> daemon(r, "lineside-mqtt-trigger"), (r, pool) -> {
                    metrics.error("trigger-failed");
                    LOG.warn("MQTT trigger refused: 8 triggers are already waiting for the camera");
                });
        this.thread = new Thread(this::run, "lineside-mqtt");
        this.thread.setDaemon(true);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public void start() {
        running = true;
        thread.start();
        saver.scheduleWithFixedDelay(this::saveCursor, SAVE_EVERY.toMillis(), SAVE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A new outcome was committed: publish it now rather than at the next poll. */
    public void wake() {
        wakeup.release();
    }

    /** The model changed: say so on the retained status topic. */
    public void statusChanged() {
        Session s = session;
        if (s != null && s.lost == null) {
            s.client.publishWith().topic(settings.statusTopic()).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .payload(onlineStatus.get()).send();
        }
    }

    // ------------------------------------------------------------------------------------------ the loop

    private void run() {
        Duration backoff = MIN_BACKOFF;
        while (running) {
            try {
                Session s = session;
                if (s == null) {
                    if (connect()) {
                        backoff = MIN_BACKOFF;
                    } else {
                        sleep(backoff);
                        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                    }
                    continue;
                }
                if (s.lost != null) {
                    dropSession(s);
                    continue;
                }
                int room = WINDOW - feed.inFlight();
                if (room <= 0) {
                    feed.awaitProgress(100);
                    continue;
                }
                wakeup.drainPermits();
                boolean caughtUp = feed.readNew(room, d -> publish(s, d));
                if (caughtUp) {
                    wakeup.tryAcquire(1, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (RuntimeException e) {
                // e.g. the journal could not be read: keep trying, say why
                error("publish-failed", "reading the journal failed: " + e.getMessage());
                LOG.errorf(e, "MQTT publisher");
                sleepQuietly(MAX_BACKOFF);
            }
        }
    }

    private void publish(Session s, JournalFeed.Delivery d) {
        s.client.publishWith().topic(settings.verdictTopic()).qos(qos).payload(payload.apply(d.record())).send()
                .whenComplete((published, failure) -> {
                    if (failure == null) {
                        feed.acknowledged(d);
                        metrics.published(1);
                    } else if (s.lost == null) {
                        s.lost = "publish failed: " + describe(failure);
                        error("publish-failed", s.lost);
                        wakeup.release();
                    }
                });
    }

    private boolean connect() throws InterruptedException {
        Mqtt3ClientBuilder builder = MqttClient.builder().useMqttVersion3()
                .identifier(settings.clientId())
                .serverHost(settings.url().getHost())
                .serverPort(settings.port())
                .transportConfig().socketConnectTimeout(5, TimeUnit.SECONDS)
                .mqttConnectTimeout(CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS).applyTransportConfig()
                .willPublish().topic(settings.statusTopic()).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .payload(offlineStatus).applyWillPublish();
        if (settings.tls()) {
            builder = builder.sslWithDefaultConfig();
        }
        Session[] holder = new Session[1];
        builder = builder.addDisconnectedListener(ctx -> {
            Session s = holder[0];
            if (s != null && s.lost == null) {
                s.lost = "connection lost: " + describe(ctx.getCause());
                if (s == session) {
                    error("connection-lost", s.lost);
                }
                wakeup.release();
            }
        });
        Mqtt3AsyncClient client = builder.buildAsync();
        Mqtt3ConnectBuilder.Send<java.util.concurrent.CompletableFuture<com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck>> connect =
                client.connectWith().cleanSession(true).keepAlive(30);
        if (settings.username().isPresent()) {
            connect = connect.simpleAuth().username(settings.username().get())
                    .password(settings.password().orElse("").getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
        }
        try {
            connect.send().get(CONNECT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            Session s = new Session(client);
            holder[0] = s;
            client.publishWith().topic(settings.statusTopic()).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .payload(onlineStatus.get()).send().get(CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (settings.allowTrigger()) {
                client.subscribeWith().topicFilter(settings.triggerTopic()).qos(MqttQos.AT_LEAST_ONCE)
                        .callback(message -> triggers.execute(this::runTrigger)).send()
                        .get(CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            session = s;
            metrics.connected(true);
            lastError = null;
            LOG.infof("MQTT: connected to %s as %s; publishing to %s from the journal cursor (backlog %d)",
                    settings.shownUrl(), settings.clientId(), settings.verdictTopic(), feed.backlog());
            return true;
        } catch (ExecutionException e) {
            connectFailed(client, e.getCause());
        } catch (TimeoutException e) {
            connectFailed(client, e);
        }
        return false;
    }

    private void connectFailed(Mqtt3AsyncClient client, Throwable cause) {
        String reason;
        String message;
        if (cause instanceof Mqtt3ConnAckException refused) {
            Mqtt3ConnAckReturnCode code = refused.getMqttMessage().getReturnCode();
            boolean auth = code == Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD
                    || code == Mqtt3ConnAckReturnCode.NOT_AUTHORIZED;
            reason = auth ? "auth" : "refused";
            message = auth ? "the broker refused the credentials of " + settings.username().map(u -> "user '" + u + "'")
                    .orElse("an anonymous client") + " (" + code + ")" : "the broker refused the connection (" + code + ")";
        } else if (cause instanceof TimeoutException) {
            reason = "timeout";
            message = "no answer from the broker within " + CONNECT_TIMEOUT.toSeconds() + " s";
        } else if (cause instanceof ConnectionFailedException) {
            reason = "unreachable";
            message = "cannot reach the broker: " + describe(cause);
        } else {
            reason = "refused";
            message = "connecting failed: " + describe(cause);
        }
        error(reason, message + " (" + settings.shownUrl() + ")");
        client.disconnect();
    }

    private void dropSession(Session s) {
        session = null;
        metrics.connected(false);
        feed.rewind();
        try {
            s.client.disconnect();
        } catch (RuntimeException ignored) {
            // already gone
        }
        LOG.warnf("MQTT: %s; reconnecting, then republishing from the acknowledged cursor (backlog %d)", s.lost,
                feed.backlog());
    }

    private void runTrigger() {
        try {
            trigger.run();
        } catch (RuntimeException e) {
            metrics.error("trigger-failed");
            LOG.warnf("MQTT trigger: the camera snapshot failed: %s", e.getMessage());
        }
    }

    private void saveCursor() {
        try {
            feed.saveIfChanged();
        } catch (IOException | RuntimeException e) {
            error("cursor-write", "saving the cursor failed: " + e.getMessage());
        }
    }

    private void error(String reason, String message) {
        metrics.error(reason);
        if (!message.equals(lastError)) {
            LOG.warnf("MQTT: %s", message);
        }
        lastError = message;
        lastErrorAt = Instant.now();
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    private void sleep(Duration d) throws InterruptedException {
        wakeup.drainPermits();
        // A wake-up (new outcome) does not shorten the back-off: only stop does (by interrupting).
        Thread.sleep(d.toMillis());
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------ state

    public boolean connected() {
        Session s = session;
        return s != null && s.lost == null;
    }

    public long backlog() {
        return feed.backlog();
    }

    public SinkStatus status() {
        boolean up = connected();
        Map<String, Object> d = SinkStatus.newDetails();
        d.put("url", settings.shownUrl());
        d.put("clientId", settings.clientId());
        d.put("topicPrefix", settings.topicPrefix());
        d.put("qos", settings.qos());
        d.put("connected", up);
        d.put("backlog", feed.backlog());
        d.put("published", (long) metrics.publishedCount());
        if (lastErrorAt != null) {
            d.put("lastErrorAt", lastErrorAt.toString());
        }
        String reason = up ? null : lastError == null ? "connecting to " + settings.shownUrl() : lastError;
        if (up && lastError != null) {
            d.put("lastError", lastError);
        }
        return new SinkStatus("mqtt", up, reason, d);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        triggers.shutdownNow();
        saver.shutdown();
        Session s = session;
        session = null;
        metrics.connected(false);
        if (s != null && s.lost == null) {
            try {
                // A clean disconnect suppresses the will: say "offline" ourselves, and let in-flight acks land.
                s.client.publishWith().topic(settings.statusTopic()).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                        .payload(offlineStatus).send().get(2, TimeUnit.SECONDS);
                s.client.disconnect().get(2, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                LOG.debugf("MQTT: clean disconnect failed: %s", describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            saver.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        saveCursor();
    }
}
