package io.lineside.history;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeatmapRendererTest {

    /** A mid-gray 8-bit gray PNG. */
    static byte[] grayPng(int w, int h, int level) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, level);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** A 64x64 map, cold everywhere except a Gaussian bump at (cx, cy). */
    static ResidualMap bump(int cx, int cy) {
        int n = 64;
        float[] v = new float[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                v[y * n + x] = (float) (0.01 + 0.2 * Math.exp(-d2 / 18.0));
            }
        }
        return new ResidualMap(n, n, v);
    }

    @Test
    void heatmapDecodesHasTheImageSizeAndIsHottestWhereTheResidualIs() throws IOException {
        byte[] png = new HeatmapRenderer().renderPng(grayPng(300, 240, 128), bump(48, 16), new HeatScale(0.21, 0.1));
        BufferedImage heat = ImageIO.read(new ByteArrayInputStream(png));
        assertNotNull(heat, "heatmap is a decodable PNG");
        assertEquals(300, heat.getWidth());
        assertEquals(240, heat.getHeight());
        // The bump at map (48,16) of 64x64 lies at image (227, 62): read the heat back and find its peak.
        BufferedImage original = HeatmapRenderer.decodeRgb(grayPng(300, 240, 128));
        int bar = HeatmapRenderer.scaleBarHeight(300, 240);
        int[] hot = HeatReader.hottest(HeatReader.heat(original, heat, 2), 2, 5, bar);
        double expectedX = (48 + 0.5) * 300 / 64.0;
        double expectedY = (16 + 0.5) * 240 / 64.0;
        assertTrue(Math.abs(hot[0] - expectedX) <= 8 && Math.abs(hot[1] - expectedY) <= 8,
                "hottest at (" + hot[0] + "," + hot[1] + "), residual peak at (" + expectedX + "," + expectedY + ")");
    }

    @Test
    void coldAreasKeepThePartVisibleAndHotAreasTakeTheMapsColour() throws IOException {
        BufferedImage heat = ImageIO.read(new ByteArrayInputStream(
                new HeatmapRenderer().renderPng(grayPng(128, 128, 200), bump(32, 32), new HeatScale(0.21, Double.NaN))));
        int cold = heat.getRGB(4, 4);
        int hot = heat.getRGB(64, 64);
        // cold: mostly the light gray part shows through (inferno's cold end is black)
        assertTrue(((cold >> 8) & 0xFF) > 120, "cold pixel keeps the image: " + Integer.toHexString(cold));
        // hot: inferno's hot end is yellow-white: red high, blue lower than red
        assertTrue(((hot >> 16) & 0xFF) > 220 && (hot & 0xFF) < ((hot >> 16) & 0xFF), "hot pixel: " + Integer.toHexString(hot));
    }

    @Test
    void scaleBarShowsTheColourRangeLeftToRight() throws IOException {
        BufferedImage heat = ImageIO.read(new ByteArrayInputStream(
                new HeatmapRenderer().renderPng(grayPng(400, 300, 128), bump(10, 10), new HeatScale(0.5, 0.25))));
        int bar = HeatmapRenderer.scaleBarHeight(400, 300);
        int y = 300 - bar / 2;
        // Sample the bar's brightness along its middle third: inferno brightens monotonically.
        double left = luminance(heat.getRGB(140, y));
        double right = luminance(heat.getRGB(300, y));
        assertTrue(right > left + 60, "bar brightens left to right: " + left + " -> " + right);
    }

    @Test
    void grayImagesAreShownWithTheirOwnGrayLevels() throws IOException {
        BufferedImage rgb = HeatmapRenderer.decodeRgb(grayPng(8, 8, 100));
        assertEquals(0x646464, rgb.getRGB(3, 3) & 0xFFFFFF, "gray 100 stays 100, not brightened by a colour conversion");
    }

    @Test
    void infernoRunsFromBlackToPaleYellow() {
        int cold = Inferno.LUT[0];
        int hot = Inferno.LUT[255];
        assertTrue(luminance(cold) < 10, Integer.toHexString(cold));
        assertTrue(((hot >> 16) & 0xFF) > 240 && ((hot >> 8) & 0xFF) > 240, Integer.toHexString(hot));
        for (int i = 1; i < 256; i++) {
            assertTrue(luminance(Inferno.LUT[i]) >= luminance(Inferno.LUT[i - 1]) - 2, "monotonic at " + i);
        }
    }

    @Test
    void scaleSpansTheThresholdForMaxBlurAndSsimAndTheMapOtherwise() {
        ResidualMap cold = bump(5, 5); // max ~0.21
        HeatScale maxBlur = HeatScale.forMap(cold, "max-blur", 0.5);
        assertEquals(0.5, maxBlur.max(), 1e-9, "a map below the threshold stays in the lower colours");
        assertEquals(0.5, maxBlur.threshold(), 1e-9);
        HeatScale ssim = HeatScale.forMap(cold, "ssim", 0.9); // its map 1 - SSIM is in the threshold's unit
        assertEquals(0.9, ssim.max(), 1e-9);
        assertEquals(0.9, ssim.threshold(), 1e-9);
        HeatScale std = HeatScale.forMap(cold, "std", 0.05);
        assertEquals(cold.max(), std.max(), 1e-6);
        assertTrue(Double.isNaN(std.threshold()), "threshold of another unit is not drawn on the residual scale");
    }

    static double luminance(int rgb) {
        return 0.299 * ((rgb >> 16) & 0xFF) + 0.587 * ((rgb >> 8) & 0xFF) + 0.114 * (rgb & 0xFF);
    }

    @Test
    void aMapOverARegionOfInterestIsDrawnThereAndTheRestIsDimmed() throws IOException {
        // 320 x 200 image, region 100,40,160,80, a 40 x 20 map hot at cell (30, 5): image (100 + 30.5 * 4, 40 + 5.5 * 4).
        float[] v = new float[40 * 20];
        v[5 * 40 + 30] = 1f;
        ResidualMap map = new ResidualMap(40, 20, v, new io.lineside.scoring.Roi(100, 40, 160, 80));
        byte[] source = grayPng(320, 200, 128);
        BufferedImage heat = ImageIO.read(new ByteArrayInputStream(
                new HeatmapRenderer().renderPng(source, map, new HeatScale(1.0, Double.NaN))));
        assertEquals(320, heat.getWidth());
        assertEquals(200, heat.getHeight());
        BufferedImage original = HeatmapRenderer.decodeRgb(source);
        int[] hot = HeatReader.hottest(HeatReader.heat(original, heat, 2), 2, 2, HeatmapRenderer.scaleBarHeight(320, 200));
        assertTrue(Math.abs(hot[0] - 222) <= 6 && Math.abs(hot[1] - 62) <= 6, "hottest at (" + hot[0] + "," + hot[1] + ")");
        // Outside the region: the plain image, dimmed (no colour); inside, cold areas carry the colour map's floor.
        int outside = heat.getRGB(20, 20);
        int dimmed = (int) Math.round(128 * (1 - HeatmapRenderer.OUTSIDE_DIM));
        assertEquals(dimmed, (outside >> 16) & 0xFF);
        assertEquals(dimmed, (outside >> 8) & 0xFF);
        assertEquals(dimmed, outside & 0xFF);
        assertTrue(HeatReader.heat(original, heat, 2)[60 / 2][150 / 2] < 0.05, "cold inside the region away from the spot");
    }

    @Test
    void aFixedScaleFromTheModelWinsOverTheMapsOwnRange() {
        ResidualMap cold = bump(10, 10);
        HeatScale fixed = HeatScale.forMap(cold, null, 0.3, 0.8);
        assertEquals(0.8, fixed.max());
        assertTrue(Double.isNaN(fixed.threshold()), "a format-2 score need not share the map's unit: no mark");
        assertEquals(cold.max(), HeatScale.forMap(cold, null, 0.3, Double.NaN).max(), 1e-7,
                "no fixed scale and no format-1 function: the map's own maximum");
    }
}
