package io.lineside.scoring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model's graph outputs, by name, as the buffer sets pin them (batch 1; training/CONTRACT.md).
 * Format 1: {@code reconstruction}, same shape as the input; the appliance scores it. Format 2:
 * {@code score} ([1] or [1, 1]) and {@code anomaly_map} ([1, 1, h, w]), optionally {@code reconstruction};
 * the graph scores itself.
 *
 * @param scoreRank 1 for a score shaped [N], 2 for [N, 1]; 0 in format 1 (no score output)
 * @param mapHeight height of the map shown to people: the anomaly map (format 2) or the residual map, H (format 1)
 * @param mapWidth  its width
 */
public record GraphOutputs(int format, int scoreRank, int mapHeight, int mapWidth, boolean reconstruction) {
    public static final String SCORE = "score";
    public static final String ANOMALY_MAP = "anomaly_map";
    public static final String RECONSTRUCTION = "reconstruction";

    public GraphOutputs {
        if (format != 1 && format != 2) {
            throw new IllegalArgumentException("format must be 1 or 2, not " + format);
        }
        if (format == 2 && (scoreRank != 1 && scoreRank != 2)) {
            throw new IllegalArgumentException("a format-2 score has rank 1 or 2, not " + scoreRank);
        }
        if (format == 1 && !reconstruction) {
            throw new IllegalArgumentException("a format-1 model outputs its reconstruction");
        }
        if (mapHeight < 1 || mapWidth < 1) {
            throw new IllegalArgumentException("map size must be positive: " + mapHeight + "x" + mapWidth);
        }
    }

    /** Format 1: the reconstruction only; the residual map has the input's height and width. */
    public static GraphOutputs format1(ModelGeometry geometry) {
        return new GraphOutputs(1, 0, geometry.height(), geometry.width(), true);
    }

    /** Format 2. */
    public static GraphOutputs format2(int scoreRank, int mapHeight, int mapWidth, boolean reconstruction) {
        return new GraphOutputs(2, scoreRank, mapHeight, mapWidth, reconstruction);
    }

    /** Whether the graph computes the score (format 2) rather than the appliance (format 1). */
    public boolean graphScores() {
        return format == 2;
    }

    public long[] scoreShape() {
        return scoreRank == 2 ? new long[] {1, 1} : new long[] {1};
    }

    public long[] mapShape() {
        return new long[] {1, 1, mapHeight, mapWidth};
    }

    public int mapSize() {
        return Math.multiplyExact(mapHeight, mapWidth);
    }

    /** Every output by name with the shape it is run with (batch 1), in a stable order. */
    public Map<String, List<Long>> shapes(ModelGeometry input) {
        Map<String, List<Long>> shapes = new LinkedHashMap<>();
        if (graphScores()) {
            shapes.put(SCORE, list(scoreShape()));
            shapes.put(ANOMALY_MAP, list(mapShape()));
        }
        if (reconstruction) {
            shapes.put(RECONSTRUCTION, list(input.shape()));
        }
        return shapes;
    }

    private static List<Long> list(long[] shape) {
        return java.util.Arrays.stream(shape).boxed().toList();
    }
}
