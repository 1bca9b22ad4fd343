package io.lineside.ingest.camera;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;

/** Reads one series from the appliance's {@code /q/metrics}, as Prometheus would. */
final class Scrape {

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private Scrape() {
    }

    static String text() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** The sum of all series of {@code name} whose labels include {@code labels} (pairs: key, value). */
    static double sum(String name, String... labels) {
        return values(name, labels).stream().mapToDouble(Double::doubleValue).sum();
    }

    /** The value of the first series of {@code name} whose labels include {@code labels} (pairs: key, value). */
    static OptionalDouble value(String name, String... labels) {
        List<Double> found = values(name, labels);
        return found.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(found.get(0));
    }

    private static List<Double> values(String name, String... labels) {
        Map<String, String> wanted = new HashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        List<Double> found = new ArrayList<>();
        for (String line : text().split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.find() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> have = new HashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    have.put(l.group(1), l.group(2));
                }
            }
            if (have.entrySet().containsAll(wanted.entrySet())) {
                found.add(Double.parseDouble(m.group(3)));
            }
        }
        return found;
    }

    /** Like {@link #value} but 0 for a series that does not exist yet (a counter never incremented). */
    static double count(String name, String... labels) {
        return value(name, labels).orElse(0);
    }
}
