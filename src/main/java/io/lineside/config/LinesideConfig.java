package io.lineside.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The one typed view of lineside's configuration. Nothing else reads properties.
 * Every property is documented in the README's configuration table.
 */
@ConfigMapping(prefix = "lineside")
public interface LinesideConfig {

    Model model();

    /** Overrides the threshold stored in the model's metadata. */
    OptionalDouble threshold();

    /**
     * Region of interest {@code x,y,w,h} in source-image pixels, cropped before the resize; overrides the
     * model's {@code lineside.input.roi} (a camera moved on the line). Checked when a model is loaded.
     */
    Optional<String> roi();

    Limits limits();

    Journal journal();

    Folder folder();

    Camera camera();

    Retention retention();

    Api api();

    Calibration calibration();

    Mqtt mqtt();

    Modbus modbus();

    Opcua opcua();

    interface Model {
        /** ONNX model bundle; unset = the embedded default model. */
        Optional<Path> path();

        /** ONNX Runtime intra-op threads; unset = the CPUs this process may use. */
        OptionalInt threads();

        /** Inferences in flight at once, each with its own reused buffer set; unset = threads. */
        OptionalInt concurrency();

        /** How often the model file is checked for replacement (hot swap). */
        @WithName("watch-interval")
        @WithDefault("2s")
        Duration watchInterval();

        /** Largest ONNX file accepted by {@code PUT /api/v1/model}; must not exceed quarkus.http.limits.max-body-size. */
        @WithName("max-upload")
        @WithDefault("64M")
        MemorySize maxUpload();
    }

    interface Limits {
        /** Largest image accepted, in bytes, checked before decoding. */
        @WithName("max-bytes")
        @WithDefault("32M")
        MemorySize maxBytes();

        /** Largest image accepted, in pixels, read from the header before decoding. */
        @WithName("max-pixels")
        @WithDefault("40000000")
        long maxPixels();
    }

    interface Journal {
        @WithDefault("./data/journal")
        Path path();

        /** Rotate the current journal file when it grows past this size (it also rotates daily). */
        @WithName("max-file-size")
        @WithDefault("64M")
        MemorySize maxFileSize();

        /** Journal files older than this many days are deleted; 0 keeps them forever. */
        @WithName("retention-days")
        @WithDefault("0")
        int retentionDays();
    }

    interface Folder {
        @WithDefault("true")
        boolean enabled();

        @WithDefault("./inbox")
        Path path();

        @WithDefault("./archive")
        Path archive();

        @WithName("poll-interval")
        @WithDefault("250ms")
        Duration pollInterval();

        @WithDefault("500ms")
        Duration settle();

        @WithDefault("false")
        boolean recursive();

        @WithName("on-done")
        @WithDefault("move")
        OnDone onDone();

        enum OnDone { MOVE, DELETE }
    }

    interface Camera {
        /** Snapshot URL; unset = camera source disabled. */
        Optional<URI> url();

        /** Source label of the camera's inspections (journal, metrics). */
        @WithDefault("camera")
        String name();

        /** Time between snapshot requests; 0 = trigger only (no polling). */
        @WithDefault("1s")
        Duration interval();

        /** Deadline for one whole snapshot request: connect, answer and body. */
        @WithDefault("2s")
        Duration timeout();

        Optional<String> username();

        Optional<String> password();

        @WithName("skip-unchanged")
        @WithDefault("true")
        boolean skipUnchanged();

        @WithName("max-bytes")
        @WithDefault("16M")
        MemorySize maxBytes();

        /** Longest wait between retries while the camera is failing. */
        @WithName("max-backoff")
        @WithDefault("30s")
        Duration maxBackoff();
    }

    interface Retention {
        /** How many recent inspections keep their image and heatmap. */
        @WithDefault("1000")
        int images();

        /** Disk budget for kept images and heatmaps. */
        @WithName("max-disk")
        @WithDefault("512M")
        MemorySize maxDisk();

        /** Where kept images and heatmaps live. */
        @WithDefault("./data/images")
        Path path();
    }

    interface Api {
        /** API keys allowed to change state; none = state-changing endpoints disabled. */
        Optional<List<String>> keys();
    }

    interface Calibration {
        /** Folders of good images named in calibration requests must lie under this root. */
        @WithDefault("./data/calibration")
        Path root();

        /** Where an applied threshold is persisted so it survives restarts. */
        @WithName("state-file")
        @WithDefault("./data/threshold.json")
        Path stateFile();

        /** Most images one calibration request may score (folder or upload). */
        @WithName("max-images")
        @WithDefault("5000")
        int maxImages();

        /** Largest total size of the images uploaded in one calibration request (each is also held to lineside.limits.max-bytes). */
        @WithName("max-upload")
        @WithDefault("64M")
        MemorySize maxUpload();
    }

    /** Verdicts to an MQTT broker, at least once, read from the journal from a persisted cursor. */
    interface Mqtt {
        /** Broker, {@code tcp://host:1883} or {@code ssl://host:8883}; unset = MQTT off. */
        Optional<URI> url();

        /** MQTT client id; unset = {@code lineside-<host name>}. */
        @WithName("client-id")
        Optional<String> clientId();

        Optional<String> username();

        /** Never logged or shown. */
        Optional<String> password();

        /** Topics are {@code <prefix>/verdict}, {@code <prefix>/status}, {@code <prefix>/trigger}; unset = {@code lineside/<host name>}. */
        @WithName("topic-prefix")
        Optional<String> topicPrefix();

        /** QoS of verdict messages: 1 (at least once, the default), 2 (exactly once to the broker), 0 (at most once). */
        @WithDefault("1")
        int qos();

        /** Whether a message on {@code <prefix>/trigger} grabs a camera snapshot. */
        @WithName("allow-trigger")
        @WithDefault("false")
        boolean allowTrigger();
    }

    /** A Modbus TCP server (unit id 1) showing the latest outcome and counters in holding registers. */
    interface Modbus {
        /** TCP port, e.g. 5020; unset = Modbus off. */
        OptionalInt port();

        /** Address to listen on. */
        @WithDefault("0.0.0.0")
        String host();

        /** Whether coil 0 written to 1 grabs a camera snapshot. */
        @WithName("allow-trigger")
        @WithDefault("false")
        boolean allowTrigger();
    }

    /** An OPC UA server (Eclipse Milo), Basic256Sha256 sign-and-encrypt, showing the latest outcome. */
    interface Opcua {
        /** TCP port, e.g. 4840; unset = OPC UA off. */
        OptionalInt port();

        /** Address to listen on. */
        @WithName("bind-address")
        @WithDefault("0.0.0.0")
        String bindAddress();

        /** Host name in the endpoint URLs and the server certificate; unset = this machine's host name. */
        Optional<String> hostname();

        /** Users as {@code name:hash,...}; hashes from {@code java -jar quarkus-run.jar hash-password}. */
        Optional<List<String>> users();

        /** Whether clients without a user name may read (never call TriggerCamera). */
        @WithName("allow-anonymous")
        @WithDefault("false")
        boolean allowAnonymous();

        /** The server's certificate (created on first start) and its trust lists ({@code pki/trusted}, {@code pki/rejected}). */
        @WithDefault("./data/opcua")
        Path path();
    }
}
