package io.lineside.sinks.opcua;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PasswordHashTest {

    @Test
    void aHashVerifiesItsPasswordOnlyAndIsSaltedEachTime() {
        String h = PasswordHash.hash("line-7-plc".toCharArray());
        assertTrue(h.startsWith("pbkdf2-sha256.210000."), h);
        assertFalse(h.contains(",") || h.contains(":"), "fits a name:hash,... list");
        assertTrue(PasswordHash.verify("line-7-plc", h));
        assertFalse(PasswordHash.verify("line-7-pl", h));
        assertNotEquals(h, PasswordHash.hash("line-7-plc".toCharArray()));
    }

    @Test
    void aMalformedUserEntryStopsTheStartNamingOnlyTheUser() {
        String good = PasswordHash.hash("x".toCharArray());
        assertEquals(List.of("a", "b"), List.copyOf(OpcUaSink.users(List.of("a:" + good, "b:" + good)).keySet()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpcUaSink.users(List.of("plc:cleartext-secret")));
        assertTrue(e.getMessage().contains("'plc'"), e.getMessage());
        assertFalse(e.getMessage().contains("cleartext-secret"), "the value is never echoed");
    }
}
