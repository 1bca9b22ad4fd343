package io.lineside.scoring;

import io.lineside.inspection.RejectReason;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns encoded image bytes into a {@link BufferedImage}, or refuses them with a reason.
 * Size and pixel-count limits are checked before any pixel is decoded, so a decompression bomb
 * costs a header read, not memory. Thread-safe: every call uses its own reader.
 */
public final class ImageDecoder {

    static {
        // No temp files: inputs are already in memory, and the disk may be read-only or full.
        ImageIO.setUseCache(false);
    }

    /** ImageIO format names (lower case) lineside decodes; the contract covers exactly these. */
    private static final Set<String> SUPPORTED_FORMATS = Set.of("jpeg", "png", "bmp");

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    public ImageLimits limits() {
        return limits;
    }

    public BufferedImage decode(byte[] bytes) throws ImageRejectedException {
        return decode(bytes, false);
    }

    /** Decodes as a model of this geometry needs the image (see {@link #lumaOnlyFor}). */
    public BufferedImage decode(byte[] bytes, ModelGeometry geometry) throws ImageRejectedException {
        return decode(bytes, lumaOnlyFor(geometry));
    }

    /** Whether a model of this geometry takes a colour JPEG's luma plane alone: one-channel models do. */
    public static boolean lumaOnlyFor(ModelGeometry geometry) {
        return geometry.channels() == 1;
    }

    /**
     * @param lumaOnly for a one-channel model: a colour (YCbCr) JPEG is decoded straight to its luma
     *                 plane Y, which is by definition {@code 0.299 R + 0.587 G + 0.114 B} (the contract's
     *                 gray conversion, up to rounding; exactly for parts photographed in gray). libjpeg
     *                 then skips the chroma planes and the colour conversion: half the decode time and a
     *                 third of the pixel memory. Other images decode as usual.
     */
    public BufferedImage decode(byte[] bytes, boolean lumaOnly) throws ImageRejectedException {
        if (bytes.length == 0) {
            throw new ImageRejectedException(RejectReason.EMPTY, "the image is empty (0 bytes)");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new ImageRejectedException(RejectReason.TOO_LARGE,
                    "the image has " + bytes.length + " bytes; the limit (lineside.limits.max-bytes) is "
                            + limits.maxBytes());
        }
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
        ImageReader reader = null;
        try {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageRejectedException(RejectReason.NOT_AN_IMAGE,
                        "not a JPEG, PNG or BMP image (unrecognised file header)");
            }
            reader = readers.next();
            String format = reader.getFormatName().toLowerCase(Locale.ROOT);
            if (!SUPPORTED_FORMATS.contains(format)) {
                throw new ImageRejectedException(RejectReason.UNSUPPORTED,
                        "image format " + format + " is not supported; send JPEG, PNG or BMP");
            }
            reader.setInput(in, true, true);
            checkPixels(reader, format);
            if (format.equals("jpeg")) {
                rejectCmykJpeg(reader);
            }
            List<String> warnings = new ArrayList<>(1);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage image = reader.read(0, readParam(reader, format, lumaOnly));
            if (!warnings.isEmpty()) {
                // The JDK's JPEG reader fills a truncated image with grey and only warns: never score that.
                throw new ImageRejectedException(RejectReason.CORRUPT,
                        format + " image data is damaged: " + warnings.get(0));
            }
            checkColours(image, format);
            return image;
        } catch (ImageRejectedException e) {
            throw e;
        } catch (IIOException e) {
            if (String.valueOf(e.getMessage()).contains("Unsupported Image Type")) {
                throw new ImageRejectedException(RejectReason.UNSUPPORTED,
                        "unsupported colour type (CMYK or YCCK JPEG); send RGB or grey images", e);
            }
            throw new ImageRejectedException(RejectReason.CORRUPT, "cannot decode the image: " + describe(e), e);
        } catch (IOException | RuntimeException e) {
            // Decoders throw assorted runtime exceptions on hostile input; each one means "corrupt".
            throw new ImageRejectedException(RejectReason.CORRUPT, "cannot decode the image: " + describe(e), e);
        } finally {
            if (reader != null) {
                reader.dispose();
            }
            try {
                in.close();
            } catch (IOException ignored) {
                // in-memory stream
            }
        }
    }

    private static ImageReadParam readParam(ImageReader reader, String format, boolean lumaOnly) throws IOException {
        ImageReadParam param = reader.getDefaultReadParam();
        if (lumaOnly && format.equals("jpeg")) {
            // The JDK's JPEG reader offers a 1-band gray destination exactly when the file is YCbCr (or gray).
            for (Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0); types.hasNext(); ) {
                ImageTypeSpecifier type = types.next();
                if (type.getNumBands() == 1 && type.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
                    param.setDestinationType(type);
                    break;
                }
            }
        }
        return param;
    }

    private void checkPixels(ImageReader reader, String format) throws IOException, ImageRejectedException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0 || height <= 0) {
            throw new ImageRejectedException(RejectReason.CORRUPT,
                    format + " header declares an empty image (" + width + "x" + height + ")");
        }
        long pixels = (long) width * height;
        if (pixels > limits.maxPixels()) {
            throw new ImageRejectedException(RejectReason.TOO_MANY_PIXELS,
                    format + " header declares " + width + "x" + height + " = " + pixels
                            + " pixels; the limit (lineside.limits.max-pixels) is " + limits.maxPixels());
        }
    }

    /** The JDK reader mis-converts (or refuses) 4-channel JPEGs; refuse them before decoding. */
    private static void rejectCmykJpeg(ImageReader reader) throws IOException, ImageRejectedException {
        ImageTypeSpecifier raw = reader.getRawImageType(0);
        if (raw == null || raw.getNumBands() > 3
                || raw.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK) {
            throw new ImageRejectedException(RejectReason.UNSUPPORTED,
                    "unsupported colour type (CMYK or YCCK JPEG); send RGB or grey images");
        }
    }

    private static void checkColours(BufferedImage image, String format) throws ImageRejectedException {
        ColorModel colours = image.getColorModel();
        if (colours instanceof IndexColorModel) {
            return;
        }
        int components = colours.getNumColorComponents();
        if (colours.getColorSpace().getType() == ColorSpace.TYPE_CMYK || (components != 1 && components != 3)) {
            throw new ImageRejectedException(RejectReason.UNSUPPORTED,
                    format + " image with " + components + " colour components is not supported; send RGB or grey images");
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
