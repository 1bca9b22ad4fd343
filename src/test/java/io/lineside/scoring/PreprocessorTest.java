package io.lineside.scoring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pins the contract's preprocessing (training/CONTRACT.md) against a direct, non-separable reference. */
class PreprocessorTest {

    private static float[] run(BufferedImage image, ModelGeometry geometry) {
        FloatBuffer target = ByteBuffer.allocateDirect(geometry.elements() * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        new Preprocessor(geometry).preprocess(image, target);
        float[] out = new float[geometry.elements()];
        target.get(0, out);
        return out;
    }

    /** Channel values per the contract, in [0, 1], planar [c][y][x], at the image's own size. */
    private static double[][][] contractChannels(BufferedImage image, int channels) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        double[][][] out = new double[channels][h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double r;
                double g;
                double b;
                if (image.getColorModel() instanceof IndexColorModel icm) {
                    int index = raster.getSample(x, y, 0);
                    r = icm.getRed(index) / 255.0;
                    g = icm.getGreen(index) / 255.0;
                    b = icm.getBlue(index) / 255.0;
                } else if (image.getColorModel().getNumColorComponents() == 1) {
                    double max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
                    r = g = b = raster.getSample(x, y, 0) / max;
                    if (channels == 1) {
                        out[0][y][x] = r;
                        continue;
                    }
                } else {
                    r = raster.getSample(x, y, 0) / 255.0;
                    g = raster.getSample(x, y, 1) / 255.0;
                    b = raster.getSample(x, y, 2) / 255.0;
                }
                if (channels == 1) {
                    out[0][y][x] = 0.299 * r + 0.587 * g + 0.114 * b;
                } else {
                    out[0][y][x] = r;
                    out[1][y][x] = g;
                    out[2][y][x] = b;
                }
            }
        }
        return out;
    }

    /** Area resize by direct 2D integration of the piecewise-constant image over each output cell. */
    private static float[] reference(BufferedImage image, ModelGeometry geometry) {
        double[][][] in = contractChannels(image, geometry.channels());
        int inW = image.getWidth();
        int inH = image.getHeight();
        double sx = (double) inW / geometry.width();
        double sy = (double) inH / geometry.height();
        float[] out = new float[geometry.elements()];
        for (int c = 0; c < geometry.channels(); c++) {
            for (int oy = 0; oy < geometry.height(); oy++) {
                for (int ox = 0; ox < geometry.width(); ox++) {
                    double sum = 0;
                    for (int iy = 0; iy < inH; iy++) {
                        double oyOverlap = Math.min(iy + 1, (oy + 1) * sy) - Math.max(iy, oy * sy);
                        if (oyOverlap <= 0) {
                            continue;
                        }
                        for (int ix = 0; ix < inW; ix++) {
                            double oxOverlap = Math.min(ix + 1, (ox + 1) * sx) - Math.max(ix, ox * sx);
                            if (oxOverlap > 0) {
                                sum += oxOverlap * oyOverlap * in[c][iy][ix];
                            }
                        }
                    }
                    out[(c * geometry.height() + oy) * geometry.width() + ox] = (float) (sum / (sx * sy));
                }
            }
        }
        return out;
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-6, "element " + i);
        }
    }

    @ParameterizedTest(name = "{0}x{1} -> {2}x{3}")
    @CsvSource({"40,30,40,30", "64,48,32,24", "97,61,32,32", "30,20,64,48", "7,5,3,2", "2,3,3,2", "300,300,128,128"})
    void grayAreaResizeMatchesDirectIntegration(int inW, int inH, int outW, int outH) {
        BufferedImage image = TestImages.gray(inW, inH, inW * 31L + inH);
        ModelGeometry geometry = new ModelGeometry(1, outH, outW);
        assertClose(reference(image, geometry), run(image, geometry));
    }

    @Test
    void equalSizesAreTheIdentityOnRasterSamples() {
        BufferedImage image = TestImages.gray(16, 12, 5);
        float[] out = run(image, new ModelGeometry(1, 12, 16));
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 16; x++) {
                // The raster's sample, not getRGB()'s gamma-brightened value.
                assertEquals(image.getRaster().getSample(x, y, 0) / 255f, out[y * 16 + x], 1e-7);
            }
        }
    }

    @Test
    void twoToOneIsTheMeanOfEachBlock() {
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setPixels(0, 0, 2, 2, new int[] {0, 255, 51, 102});
        assertEquals((0 + 255 + 51 + 102) / 4.0 / 255.0, run(image, new ModelGeometry(1, 1, 1))[0], 1e-7);
    }

    @Test
    void rgbBecomesGrayByTheLumaWeights() {
        BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_3BYTE_BGR);
        image.getRaster().setPixel(0, 0, new int[] {255, 0, 0});
        assertEquals(0.299f, run(image, new ModelGeometry(1, 1, 1))[0], 1e-7);
        image.getRaster().setPixel(0, 0, new int[] {10, 200, 30});
        assertEquals((0.299 * 10 + 0.587 * 200 + 0.114 * 30) / 255.0, run(image, new ModelGeometry(1, 1, 1))[0], 1e-7);
    }

    @Test
    void grayIsReplicatedForAColourModel() {
        BufferedImage image = TestImages.gray(9, 7, 2);
        ModelGeometry geometry = new ModelGeometry(3, 3, 4);
        float[] out = run(image, geometry);
        assertClose(reference(image, geometry), out);
        for (int i = 0; i < 12; i++) {
            assertEquals(out[i], out[12 + i]);
            assertEquals(out[i], out[24 + i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "3"})
    void rgbRgbaPaletteAnd16BitFollowTheContract(int channels) {
        ModelGeometry geometry = new ModelGeometry(channels, 8, 10);
        for (BufferedImage image : new BufferedImage[] {TestImages.rgb(23, 17, 1), TestImages.rgba(23, 17, 2),
                TestImages.palette(23, 17, 3), TestImages.gray16(23, 17, 4)}) {
            assertClose(reference(image, geometry), run(image, geometry));
        }
    }

    @Test
    void sixteenBitSamplesAreScaledBy65535() {
        BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        image.getRaster().setSample(0, 0, 0, 40000);
        assertEquals(40000 / 65535.0, run(image, new ModelGeometry(1, 1, 1))[0], 1e-7);
    }

    @Test
    void alphaIsDroppedNotComposited() {
        BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        image.setRGB(0, 0, 0x00_80_40_20); // fully transparent, colour kept
        float[] out = run(image, new ModelGeometry(3, 1, 1));
        assertEquals(0x80 / 255f, out[0], 1e-7);
        assertEquals(0x40 / 255f, out[1], 1e-7);
        assertEquals(0x20 / 255f, out[2], 1e-7);
    }

    @Test
    void aReusedPreprocessorHandlesChangingInputSizes() {
        ModelGeometry geometry = new ModelGeometry(1, 16, 16);
        FloatBuffer target = ByteBuffer.allocateDirect(geometry.elements() * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Preprocessor preprocessor = new Preprocessor(geometry);
        for (int size : new int[] {64, 20, 100, 20, 17}) {
            BufferedImage image = TestImages.gray(size, size + 3, size);
            preprocessor.preprocess(image, target);
            float[] out = new float[geometry.elements()];
            target.get(0, out);
            assertClose(reference(image, geometry), out);
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "3"})
    void directByteReadsEqualTheRasterApiOnEveryByteLayout(int channels) {
        // The JPEG reader's BGR, ABGR and gray layouts, and sub-images (translated rasters, shared buffers),
        // read directly, give exactly what Raster.getPixels gives (here: on a TYPE_INT copy, the generic path).
        ModelGeometry geometry = new ModelGeometry(channels, 8, 10);
        BufferedImage rgb = TestImages.rgb(41, 29, 5);
        for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_BYTE_GRAY}) {
            BufferedImage bytes = new BufferedImage(41, 29, type);
            bytes.getGraphics().drawImage(rgb, 0, 0, null);
            for (BufferedImage image : new BufferedImage[] {bytes, bytes.getSubimage(3, 5, 30, 20)}) {
                BufferedImage generic = new BufferedImage(image.getWidth(), image.getHeight(),
                        type == BufferedImage.TYPE_BYTE_GRAY ? BufferedImage.TYPE_USHORT_GRAY : BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < image.getHeight(); y++) {
                    for (int x = 0; x < image.getWidth(); x++) {
                        if (type == BufferedImage.TYPE_BYTE_GRAY) {
                            // same value on the 16-bit scale: v/255 == (v*257)/65535
                            generic.getRaster().setSample(x, y, 0, image.getRaster().getSample(x, y, 0) * 257);
                        } else {
                            for (int b = 0; b < 3; b++) {
                                generic.getRaster().setSample(x, y, b, image.getRaster().getSample(x, y, b));
                            }
                        }
                    }
                }
                assertClose(run(generic, geometry), run(image, geometry));
                assertClose(reference(image, geometry), run(image, geometry));
            }
        }
    }

    /**
     * Equal sizes take a shortcut for 8-bit gray and RGB into a one-channel model (no resize passes); it must
     * give exactly what the two passes give, which the general path computes for an INT_RGB image (not a
     * byte raster) with the same pixels, and exactly the contract's value cast to float.
     */
    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"37, 23", "1024, 3", "1, 1"})
    void equalSizesGiveTheTwoPassResultBitForBit(int w, int h) {
        java.util.Random random = new java.util.Random(w * 31L + h);
        BufferedImage bytes = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage ints = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        BufferedImage gray = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = random.nextInt(1 << 24);
                bytes.setRGB(x, y, rgb);
                ints.setRGB(x, y, rgb);
                gray.getRaster().setSample(x, y, 0, rgb & 0xff);
            }
        }
        ModelGeometry geometry = new ModelGeometry(1, h, w);
        float[] shortcut = run(bytes, geometry);
        float[] twoPasses = run(ints, geometry);
        float[] grayShortcut = run(gray, geometry);
        for (int i = 0; i < w * h; i++) {
            int x = i % w;
            int y = i / w;
            int rgb = ints.getRGB(x, y);
            double luma = 0.299 * ((rgb >> 16 & 0xff) * (1.0 / 255)) + 0.587 * ((rgb >> 8 & 0xff) * (1.0 / 255))
                    + 0.114 * ((rgb & 0xff) * (1.0 / 255));
            assertEquals(twoPasses[i], shortcut[i], 0.0f, "pixel " + i);
            assertEquals((float) luma, shortcut[i], 0.0f, "pixel " + i);
            assertEquals((float) (gray.getRaster().getSample(x, y, 0) * (1.0 / 255)), grayShortcut[i], 0.0f, "gray pixel " + i);
        }
    }
}
