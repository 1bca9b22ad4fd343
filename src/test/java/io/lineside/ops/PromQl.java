package io.lineside.ops;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough PromQL reading to list the series names an expression selects. */
final class PromQl {

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on",
            "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan", "atan2");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][\\w:]*)\\s*,");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.])([a-zA-Z_:][\\w:]*)(\\s*\\()?");

    /** Series (metric) names selected by a PromQL expression or a Grafana label_values() query. */
    static Set<String> metricNames(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher labelValues = LABEL_VALUES.matcher(expr);
        if (labelValues.find()) {
            names.add(labelValues.group(1));
            return names;
        }
        String text = STRING.matcher(expr).replaceAll("\"\"");
        text = MATCHERS.matcher(text).replaceAll(" ");
        text = RANGE.matcher(text).replaceAll(" ");
        text = GROUPING.matcher(text).replaceAll(" ");
        text = GRAFANA_VARIABLE.matcher(text).replaceAll(" ");
        Matcher identifier = IDENTIFIER.matcher(text);
        while (identifier.find()) {
            boolean functionCall = identifier.group(2) != null;
            String name = identifier.group(1);
            if (!functionCall && !KEYWORDS.contains(name.toLowerCase())) {
                names.add(name);
            }
        }
        return names;
    }

    /** lineside_x_bucket / _count / _sum / _max -> lineside_x, for histogram series. */
    static String family(String series, Set<String> histograms) {
        for (String suffix : new String[] {"_bucket", "_count", "_sum", "_max"}) {
            if (series.endsWith(suffix)) {
                String base = series.substring(0, series.length() - suffix.length());
                if (histograms.contains(base)) {
                    return base;
                }
            }
        }
        return series;
    }

    private PromQl() {
    }
}
