package io.lineside.inspection;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Inspection ids: UUID version 7 (RFC 9562), so ids sort by time, which keeps the journal and any
 * history index in order without a second key.
 */
public final class InspectionIds {
    private static final SecureRandom RANDOM = new SecureRandom();

    private InspectionIds() {
    }

    public static String next() {
        long millis = System.currentTimeMillis();
        long randomHigh = RANDOM.nextLong();
        long randomLow = RANDOM.nextLong();
        long most = (millis << 16) | 0x7000L | (randomHigh & 0x0fffL);
        long least = (randomLow & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(most, least).toString();
    }
}
