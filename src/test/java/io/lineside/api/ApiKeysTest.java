package io.lineside.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeysTest {

    @Test
    void noKeysMeansDisabledAndNothingAccepted() {
        ApiKeys keys = new ApiKeys(List.of());
        assertFalse(keys.enabled());
        assertFalse(keys.accepts(""));
        assertFalse(keys.accepts("anything"));
    }

    @Test
    void blankEntriesDoNotCountAsKeys() {
        ApiKeys keys = new ApiKeys(List.of(" ", ""));
        assertFalse(keys.enabled());
        assertFalse(keys.accepts(""));
        assertFalse(keys.accepts(" "));
    }

    @Test
    void acceptsEveryConfiguredKeyAndNothingElse() {
        ApiKeys keys = new ApiKeys(List.of("first-key-0123456789", " second-key-abcdefgh "));
        assertTrue(keys.enabled());
        assertTrue(keys.accepts("first-key-0123456789"));
        assertTrue(keys.accepts("second-key-abcdefgh"));
        assertFalse(keys.accepts("first-key-012345678"), "a prefix is not the key");
        assertFalse(keys.accepts("first-key-0123456789x"), "an extension is not the key");
        assertFalse(keys.accepts("FIRST-KEY-0123456789"), "keys are case-sensitive");
        assertFalse(keys.accepts(null));
        assertFalse(keys.accepts(""));
    }
}
