package io.lineside.sinks;

import java.net.InetAddress;
import java.util.Locale;

/** The appliance's host name, for default MQTT client ids and topics (safe in a topic level). */
public final class HostName {

    private HostName() {
    }

    public static String get() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                name = "appliance";
            }
        }
        // '+', '#' and '/' have meanings in MQTT topics; keep one plain level.
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
    }
}
