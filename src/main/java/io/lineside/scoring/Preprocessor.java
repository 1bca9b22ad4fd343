package io.lineside.scoring;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.nio.FloatBuffer;

/**
 * The contract's preprocessing (training/CONTRACT.md): samples to [0, 1], channel conversion, then the
 * separable {@code area} resize (horizontal pass, then vertical), written in NCHW order straight into
 * the model's input buffer. Samples are read from the raster, never through {@code getRGB()}, which
 * would gamma-convert grey images. Not thread-safe: one instance per buffer set; its scratch arrays
 * and resize weights are kept and only rebuilt when a larger or differently sized image arrives.
 */
final class Preprocessor {
    private static final double RED = 0.299;
    private static final double GREEN = 0.587;
    private static final double BLUE = 0.114;

    /** For 8-bit samples v: v/255, and the luma products RED*(v/255) etc., exactly as toChannels() computes them. */
    private static final double[] GRAY_OF_BYTE = new double[256];
    private static final double[] RED_OF_BYTE = new double[256];
    private static final double[] GREEN_OF_BYTE = new double[256];
    private static final double[] BLUE_OF_BYTE = new double[256];

    static {
        double scale = 1.0 / ((1L << 8) - 1);
        for (int v = 0; v < 256; v++) {
            GRAY_OF_BYTE[v] = v * scale;
            RED_OF_BYTE[v] = RED * (v * scale);
            GREEN_OF_BYTE[v] = GREEN * (v * scale);
            BLUE_OF_BYTE[v] = BLUE * (v * scale);
        }
    }

    private final ModelGeometry geometry;
    private AreaResize columns;
    private AreaResize rows;
    private int[] rowSamples = new int[0];
    private double[] channelRow = new double[0];
    private double[] horizontal = new double[0];
    private double[] scale = new double[4];
    private final double[] accumulator;
    private int[] bandOffsets = new int[4];
    private byte[] directData;
    private int directOrigin;
    private int directScanline;
    private int directPixelStride;

    Preprocessor(ModelGeometry geometry) {
        this.geometry = geometry;
        this.accumulator = new double[geometry.width()];
    }

    void preprocess(BufferedImage image, FloatBuffer target) {
        int inWidth = image.getWidth();
        int inHeight = image.getHeight();
        int channels = geometry.channels();
        int outWidth = geometry.width();
        int outHeight = geometry.height();
        if (columns == null || columns.inSize != inWidth) {
            columns = new AreaResize(inWidth, outWidth);
        }
        if (rows == null || rows.inSize != inHeight) {
            rows = new AreaResize(inHeight, outHeight);
        }
        Raster raster = image.getRaster();
        ColorModel colours = image.getColorModel();
        int bands = raster.getNumBands();
        rowSamples = ensure(rowSamples, inWidth * bands);
        channelRow = ensure(channelRow, channels * inWidth);
        horizontal = ensure(horizontal, channels * inHeight * outWidth);

        IndexColorModel palette = colours instanceof IndexColorModel icm ? icm : null;
        boolean sourceGray = palette == null && colours.getNumColorComponents() == 1;
        scale = ensure(scale, bands);
        for (int b = 0; b < bands; b++) {
            scale[b] = 1.0 / ((1L << raster.getSampleModel().getSampleSize(b)) - 1);
        }

        boolean direct = directBytes(raster);
        // The common case (8-bit RGB or gray into a gray model): bytes straight to gray through tables
        // holding exactly the products toChannels() computes, added in the same order.
        boolean directToGray = direct && palette == null && channels == 1 && (sourceGray || bands >= 3);
        if (directToGray && inWidth == outWidth && inHeight == outHeight) {
            identityGray(inWidth, inHeight, sourceGray, target);
            return;
        }
        for (int y = 0; y < inHeight; y++) {
            if (directToGray) {
                directGrayRow(y, inWidth, sourceGray);
                resizeRow(channelRow, 0, horizontal, y * outWidth);
                continue;
            }
            if (direct) {
                directRow(y, inWidth, bands);
            } else {
                raster.getPixels(0, y, inWidth, 1, rowSamples);
            }
            toChannels(inWidth, bands, palette, sourceGray, scale);
            for (int c = 0; c < channels; c++) {
                resizeRow(channelRow, c * inWidth, horizontal, (c * inHeight + y) * outWidth);
            }
        }

        directData = null; // do not keep the decoded image alive
        int plane = outHeight * outWidth;
        for (int c = 0; c < channels; c++) {
            for (int oy = 0; oy < outHeight; oy++) {
                java.util.Arrays.fill(accumulator, 0.0);
                int first = rows.start[oy];
                for (int k = rows.offset[oy], i = first; k < rows.offset[oy + 1]; k++, i++) {
                    double weight = rows.weights[k];
                    int base = (c * inHeight + i) * outWidth;
                    for (int x = 0; x < outWidth; x++) {
                        accumulator[x] += weight * horizontal[base + x];
                    }
                }
                int out = c * plane + oy * outWidth;
                for (int x = 0; x < outWidth; x++) {
                    target.put(out + x, (float) accumulator[x]);
                }
            }
        }
    }

    /**
     * Equal sizes (a camera cropped to the model's input, a line-scan strip): the area weights are exactly 1,
     * so each output is its channel value itself, bit for bit what the two passes compute (0 + 1 * v = v),
     * without their two full-size float64 planes (for a 1024x384 image, 3 MB written and read twice).
     */
    private void identityGray(int width, int height, boolean sourceGray, FloatBuffer target) {
        for (int y = 0; y < height; y++) {
            directGrayRow(y, width, sourceGray);
            int out = y * width;
            for (int x = 0; x < width; x++) {
                target.put(out + x, (float) channelRow[x]);
            }
        }
        directData = null; // do not keep the decoded image alive
    }

    /** One decoded row (interleaved bands) to the model's channels, planar, in [0, 1]. */
    private void toChannels(int width, int bands, IndexColorModel palette, boolean sourceGray, double[] scale) {
        int channels = geometry.channels();
        for (int x = 0; x < width; x++) {
            double r;
            double g;
            double b;
            if (palette != null) {
                int rgb = palette.getRGB(rowSamples[x * bands]);
                r = ((rgb >> 16) & 0xff) / 255.0;
                g = ((rgb >> 8) & 0xff) / 255.0;
                b = (rgb & 0xff) / 255.0;
            } else if (sourceGray) {
                double v = rowSamples[x * bands] * scale[0];
                if (channels == 1) {
                    channelRow[x] = v;
                } else {
                    channelRow[x] = v;
                    channelRow[width + x] = v;
                    channelRow[2 * width + x] = v;
                }
                continue;
            } else {
                int at = x * bands;
                r = rowSamples[at] * scale[0];
                g = rowSamples[at + 1] * scale[1];
                b = rowSamples[at + 2] * scale[2];
            }
            if (channels == 1) {
                channelRow[x] = RED * r + GREEN * g + BLUE * b;
            } else {
                channelRow[x] = r;
                channelRow[width + x] = g;
                channelRow[2 * width + x] = b;
            }
        }
    }

    private void resizeRow(double[] source, int sourceOffset, double[] target, int targetOffset) {
        AreaResize w = columns;
        for (int j = 0; j < w.outSize; j++) {
            double sum = 0.0;
            int i = sourceOffset + w.start[j];
            for (int k = w.offset[j]; k < w.offset[j + 1]; k++, i++) {
                sum += w.weights[k] * source[i];
            }
            target[targetOffset + j] = sum;
        }
    }

    /**
     * Direct reads of 8-bit interleaved rasters (what the JDK's JPEG, PNG and BMP readers produce for
     * gray and RGB): the same samples, in band order, as {@code Raster.getPixels}, without its
     * per-sample virtual calls. Allocation-free: the band offsets go into a kept array.
     *
     * @return whether the raster has that layout (then {@link #bandOffsets} and the origin are set)
     */
    private boolean directBytes(Raster raster) {
        if (!(raster.getDataBuffer() instanceof DataBufferByte buffer) || buffer.getNumBanks() != 1
                || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel model)) {
            return false;
        }
        int bands = model.getNumBands();
        bandOffsets = ensure(bandOffsets, bands);
        for (int b = 0; b < bands; b++) {
            if (model.getSampleSize(b) != 8) {
                return false;
            }
            bandOffsets[b] = model.getOffset(0, 0, b);
        }
        directData = buffer.getData();
        directScanline = model.getScanlineStride();
        directPixelStride = model.getPixelStride();
        directOrigin = buffer.getOffset() - raster.getSampleModelTranslateY() * directScanline
                - raster.getSampleModelTranslateX() * directPixelStride;
        return true;
    }

    private void directGrayRow(int y, int width, boolean sourceGray) {
        int at = directOrigin + y * directScanline;
        byte[] data = directData;
        int stride = directPixelStride;
        if (sourceGray) {
            int g = bandOffsets[0];
            for (int x = 0; x < width; x++, at += stride) {
                channelRow[x] = GRAY_OF_BYTE[data[at + g] & 0xff];
            }
            return;
        }
        int r = bandOffsets[0];
        int g = bandOffsets[1];
        int b = bandOffsets[2];
        for (int x = 0; x < width; x++, at += stride) {
            channelRow[x] = RED_OF_BYTE[data[at + r] & 0xff] + GREEN_OF_BYTE[data[at + g] & 0xff]
                    + BLUE_OF_BYTE[data[at + b] & 0xff];
        }
    }

    private void directRow(int y, int width, int bands) {
        int start = directOrigin + y * directScanline;
        for (int b = 0; b < bands; b++) {
            int at = start + bandOffsets[b];
            for (int x = 0, i = b; x < width; x++, i += bands, at += directPixelStride) {
                rowSamples[i] = directData[at] & 0xff;
            }
        }
    }

    private static int[] ensure(int[] array, int size) {
        return array.length >= size ? array : new int[size];
    }

    private static double[] ensure(double[] array, int size) {
        return array.length >= size ? array : new double[size];
    }
}
