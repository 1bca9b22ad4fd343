package io.lineside.model;

import io.lineside.scoring.ModelGeometry;
import io.lineside.scoring.Roi;
import io.lineside.scoring.ScoreFunction;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The {@code lineside.*} metadata of a model bundle, parsed and checked (training/CONTRACT.md).
 * Unknown {@code lineside.*} keys are kept in {@link #properties()} and otherwise ignored.
 *
 * @param score       format 1: the score function the appliance computes; null in format 2 (the graph scores)
 * @param sigma       the score's sigma: format 1's Gaussian (default {@value #DEFAULT_SIGMA}); in format 2
 *                    information only, NaN when not given
 * @param scoreMethod {@code lineside.score} as written: format 1's function name, format 2's free-text
 *                    method (information only; empty when not given)
 * @param mapMax      format 2's {@code lineside.map.max}: the anomaly-map value drawn at full colour
 * @param roi         {@code lineside.input.roi}: the region of the source image the model looks at
 */
public record ModelMetadata(
        int format,
        ModelGeometry geometry,
        String resize,
        ScoreFunction score,
        double sigma,
        double threshold,
        double calibrationAlpha,
        long calibrationN,
        OptionalDouble calibrationMedian,
        String name,
        String version,
        Optional<String> arch,
        Map<String, String> properties,
        Optional<String> scoreMethod,
        OptionalDouble mapMax,
        Optional<Roi> roi) {

    /** Format 1: the graph reconstructs, the appliance scores. */
    public static final int FORMAT = 1;
    /** Format 2: the graph outputs its own score and anomaly map. */
    public static final int FORMAT_2 = 2;
    public static final String RESIZE_AREA = "area";
    public static final double DEFAULT_SIGMA = 2.0;
    /** Larger inputs are surely a mistake, and would make every buffer set huge. */
    static final int MAX_SIDE = 8192;

    public static ModelMetadata parse(Map<String, String> metadata) throws ModelValidationException {
        Map<String, String> lineside = new TreeMap<>();
        metadata.forEach((k, v) -> {
            if (k.startsWith("lineside.")) {
                lineside.put(k, v);
            }
        });
        Reader r = new Reader(lineside);
        int format = r.positiveInt("lineside.format", Integer.MAX_VALUE);
        if (format != FORMAT && format != FORMAT_2) {
            throw new ModelValidationException("metadata lineside.format = " + format
                    + " is not supported; this appliance reads formats " + FORMAT + " and " + FORMAT_2);
        }
        int width = r.positiveInt("lineside.input.width", MAX_SIDE);
        int height = r.positiveInt("lineside.input.height", MAX_SIDE);
        int channels = r.positiveInt("lineside.input.channels", Integer.MAX_VALUE);
        if (channels != 1 && channels != 3) {
            throw new ModelValidationException("metadata lineside.input.channels = " + channels + " is invalid: must be 1 or 3");
        }
        String resize = r.required("lineside.input.resize");
        if (!resize.equals(RESIZE_AREA)) {
            throw new ModelValidationException("metadata lineside.input.resize = '" + resize
                    + "' is unknown; format " + format + " defines: " + RESIZE_AREA);
        }
        ScoreFunction score = null;
        double sigma;
        Optional<String> scoreMethod;
        OptionalDouble mapMax = OptionalDouble.empty();
        if (format == FORMAT) {
            String scoreName = r.required("lineside.score");
            score = ScoreFunction.byName(scoreName).orElseThrow(() -> new ModelValidationException(
                    "metadata lineside.score = '" + scoreName + "' is unknown; known: "
                            + Arrays.stream(ScoreFunction.values()).map(ScoreFunction::metadataName)
                            .collect(Collectors.joining(", "))));
            sigma = lineside.containsKey("lineside.score.sigma")
                    ? r.positiveDouble("lineside.score.sigma") : DEFAULT_SIGMA;
            scoreMethod = Optional.of(scoreName);
        } else {
            // The graph scores: the method's name and sigma are information only.
            scoreMethod = Optional.ofNullable(lineside.get("lineside.score")).map(String::strip).filter(s -> !s.isEmpty());
            sigma = lineside.containsKey("lineside.score.sigma") ? r.positiveDouble("lineside.score.sigma") : Double.NaN;
            if (lineside.containsKey("lineside.map.max")) {
                mapMax = OptionalDouble.of(r.positiveDouble("lineside.map.max"));
            }
        }
        Optional<Roi> roi = Optional.empty();
        if (lineside.containsKey("lineside.input.roi")) {
            String text = lineside.get("lineside.input.roi");
            try {
                roi = Optional.of(Roi.parse(text));
            } catch (IllegalArgumentException e) {
                throw new ModelValidationException("metadata lineside.input.roi is invalid: " + e.getMessage());
            }
        }
        double threshold = r.nonNegativeDouble("lineside.threshold");
        double alpha = r.nonNegativeDouble("lineside.calibration.alpha");
        if (!(alpha > 0 && alpha < 1)) {
            throw new ModelValidationException("metadata lineside.calibration.alpha = " + alpha
                    + " is invalid: must lie strictly between 0 and 1");
        }
        long n = r.positiveInt("lineside.calibration.n", Integer.MAX_VALUE);
        OptionalDouble median = lineside.containsKey("lineside.calibration.median")
                ? OptionalDouble.of(r.nonNegativeDouble("lineside.calibration.median")) : OptionalDouble.empty();
        String name = r.required("lineside.model.name");
        String version = r.required("lineside.model.version");
        Optional<String> arch = Optional.ofNullable(lineside.get("lineside.model.arch")).filter(s -> !s.isBlank());
        return new ModelMetadata(format, new ModelGeometry(channels, height, width), resize, score, sigma,
                threshold, alpha, n, median, name, version, arch, Map.copyOf(lineside), scoreMethod, mapMax, roi);
    }

    private record Reader(Map<String, String> metadata) {
        String required(String key) throws ModelValidationException {
            String value = metadata.get(key);
            if (value == null || value.isBlank()) {
                throw new ModelValidationException("metadata key " + key + " is missing");
            }
            return value.trim();
        }

        int positiveInt(String key, int max) throws ModelValidationException {
            String value = required(key);
            try {
                int parsed = Integer.parseInt(value);
                if (parsed >= 1 && parsed <= max) {
                    return parsed;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new ModelValidationException("metadata " + key + " = '" + value + "' is invalid: must be an integer from 1"
                    + (max == Integer.MAX_VALUE ? "" : " to " + max));
        }

        double nonNegativeDouble(String key) throws ModelValidationException {
            double parsed = number(key);
            if (parsed < 0) {
                throw new ModelValidationException("metadata " + key + " = " + parsed + " is invalid: must not be negative");
            }
            return parsed;
        }

        double positiveDouble(String key) throws ModelValidationException {
            double parsed = number(key);
            if (!(parsed > 0)) {
                throw new ModelValidationException("metadata " + key + " = " + parsed + " is invalid: must be positive");
            }
            return parsed;
        }

        private double number(String key) throws ModelValidationException {
            String value = required(key);
            try {
                double parsed = Double.parseDouble(value);
                if (Double.isFinite(parsed)) {
                    return parsed;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new ModelValidationException("metadata " + key + " = '" + value + "' is not a finite number");
        }
    }
}
