package io.lineside.history;

import java.awt.image.BufferedImage;
import java.util.Map;

/** A 5x7 pixel font for the numbers on the heatmap's scale bar: no system fonts needed. */
final class PixelFont {
    private static final Map<Character, String[]> GLYPHS = Map.ofEntries(
            Map.entry('0', new String[]{"01110", "10001", "10011", "10101", "11001", "10001", "01110"}),
            Map.entry('1', new String[]{"00100", "01100", "00100", "00100", "00100", "00100", "01110"}),
            Map.entry('2', new String[]{"01110", "10001", "00001", "00010", "00100", "01000", "11111"}),
            Map.entry('3', new String[]{"11111", "00010", "00100", "00010", "00001", "10001", "01110"}),
            Map.entry('4', new String[]{"00010", "00110", "01010", "10010", "11111", "00010", "00010"}),
            Map.entry('5', new String[]{"11111", "10000", "11110", "00001", "00001", "10001", "01110"}),
            Map.entry('6', new String[]{"00110", "01000", "10000", "11110", "10001", "10001", "01110"}),
            Map.entry('7', new String[]{"11111", "00001", "00010", "00100", "01000", "01000", "01000"}),
            Map.entry('8', new String[]{"01110", "10001", "10001", "01110", "10001", "10001", "01110"}),
            Map.entry('9', new String[]{"01110", "10001", "10001", "01111", "00001", "00010", "01100"}),
            Map.entry('.', new String[]{"00000", "00000", "00000", "00000", "00000", "01100", "01100"}),
            Map.entry('-', new String[]{"00000", "00000", "00000", "11111", "00000", "00000", "00000"}),
            Map.entry('+', new String[]{"00000", "00100", "00100", "11111", "00100", "00100", "00000"}),
            Map.entry('e', new String[]{"00000", "00000", "01110", "10001", "11111", "10000", "01110"}),
            Map.entry(' ', new String[]{"00000", "00000", "00000", "00000", "00000", "00000", "00000"}));

    private PixelFont() {
    }

    static int width(String text, int scale) {
        return text.isEmpty() ? 0 : text.length() * 6 * scale - scale;
    }

    static void draw(BufferedImage image, String text, int x0, int y0, int scale, int rgb) {
        for (int i = 0; i < text.length(); i++) {
            String[] glyph = GLYPHS.getOrDefault(text.charAt(i), GLYPHS.get(' '));
            int gx = x0 + i * 6 * scale;
            for (int row = 0; row < 7; row++) {
                for (int col = 0; col < 5; col++) {
                    if (glyph[row].charAt(col) == '1') {
                        fill(image, gx + col * scale, y0 + row * scale, scale, rgb);
                    }
                }
            }
        }
    }

    private static void fill(BufferedImage image, int x, int y, int size, int rgb) {
        for (int dy = 0; dy < size; dy++) {
            for (int dx = 0; dx < size; dx++) {
                int px = x + dx;
                int py = y + dy;
                if (px >= 0 && py >= 0 && px < image.getWidth() && py < image.getHeight()) {
                    image.setRGB(px, py, rgb);
                }
            }
        }
    }
}
