package io.lineside.api;

import io.lineside.config.LinesideConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The API keys from {@code lineside.api.keys}, held only as SHA-256 digests.
 *
 * <p>A presented key is hashed and compared with every configured digest using
 * {@link MessageDigest#isEqual} without stopping at the first match, so neither the key's length
 * nor which key matched nor how many characters were right shows in the response time. Key values
 * are never logged.
 */
@ApplicationScoped
public class ApiKeys {

    private static final Logger LOG = Logger.getLogger(ApiKeys.class);
    /** Shorter keys are accepted but reported at start-up: they can be guessed. */
    static final int RECOMMENDED_MIN_LENGTH = 16;

    private List<byte[]> digests = List.of();

    @Inject
    LinesideConfig config;

    /** For CDI; the keys are read from the configuration at first use. */
    ApiKeys() {
    }

    ApiKeys(List<String> keys) {
        load(keys);
    }

    @PostConstruct
    void init() {
        load(config.api().keys().orElse(List.of()));
    }

    private void load(List<String> keys) {
        this.digests = keys.stream()
                .map(String::strip)
                .filter(k -> !k.isEmpty())
                .map(ApiKeys::sha256)
                .toList();
        long shortKeys = keys.stream().map(String::strip)
                .filter(k -> !k.isEmpty() && k.length() < RECOMMENDED_MIN_LENGTH).count();
        if (digests.isEmpty()) {
            LOG.info("No API key configured (lineside.api.keys): state-changing endpoints are disabled");
        } else {
            LOG.infof("%d API key(s) configured: state-changing endpoints require header %s",
                    digests.size(), RequiresApiKey.HEADER);
        }
        if (shortKeys > 0) {
            LOG.warnf("%d configured API key(s) shorter than %d characters; use long random keys",
                    shortKeys, RECOMMENDED_MIN_LENGTH);
        }
    }

    /** Whether any key is configured; without one, state-changing endpoints are disabled. */
    public boolean enabled() {
        return !digests.isEmpty();
    }

    /** Whether {@code presented} equals one of the configured keys; constant time in the key's content. */
    public boolean accepts(String presented) {
        if (presented == null || digests.isEmpty()) {
            return false;
        }
        byte[] candidate = sha256(presented.strip());
        boolean match = false;
        for (byte[] digest : digests) {
            // No short-circuit: every configured key is compared whatever the outcome.
            match |= MessageDigest.isEqual(digest, candidate);
        }
        return match;
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
