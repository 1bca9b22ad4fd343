package io.lineside.scoring;

import io.lineside.inspection.RejectReason;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class ImageDecoderTest {
    private final ImageDecoder decoder = new ImageDecoder(new ImageLimits(32L << 20, 40_000_000));

    private ImageRejectedException refused(ImageDecoder d, byte[] bytes, RejectReason reason) {
        ImageRejectedException e = assertThrows(ImageRejectedException.class, () -> d.decode(bytes));
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void decodesEveryFormatAndSampleLayoutOfTheContract() throws Exception {
        assertEquals(1, decoder.decode(TestImages.encode(TestImages.gray(40, 30, 1), "png")).getColorModel().getNumColorComponents());
        assertEquals(3, decoder.decode(TestImages.encode(TestImages.rgb(40, 30, 1), "png")).getColorModel().getNumColorComponents());
        BufferedImage rgba = decoder.decode(TestImages.encode(TestImages.rgba(40, 30, 1), "png"));
        assertTrue(rgba.getColorModel().hasAlpha());
        BufferedImage gray16 = decoder.decode(TestImages.encode(TestImages.gray16(40, 30, 1), "png"));
        assertEquals(16, gray16.getSampleModel().getSampleSize(0));
        assertInstanceOf(IndexColorModel.class, decoder.decode(TestImages.encode(TestImages.palette(40, 30, 1), "png")).getColorModel());
        assertEquals(40, decoder.decode(TestImages.encode(TestImages.rgb(40, 30, 1), "bmp")).getWidth());
        assertInstanceOf(IndexColorModel.class, decoder.decode(TestImages.encode(TestImages.palette(40, 30, 1), "bmp")).getColorModel());
        assertEquals(30, decoder.decode(TestImages.encode(TestImages.rgb(40, 30, 1), "jpeg")).getHeight());
        assertEquals(1, decoder.decode(TestImages.encode(TestImages.gray(40, 30, 1), "jpeg")).getColorModel().getNumColorComponents());
    }

    @Test
    void lumaOnlyDecodesAColourJpegToTheContractsGrayWithinAGreyLevel() throws Exception {
        BufferedImage part = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                part.getRaster().setPixel(x, y, new int[] {60 + 2 * x, 80 + 3 * y, 150 - x - y});
            }
        }
        byte[] jpeg = TestImages.encode(part, "jpeg");
        BufferedImage colour = decoder.decode(jpeg);
        BufferedImage luma = decoder.decode(jpeg, true);
        assertEquals(3, colour.getColorModel().getNumColorComponents());
        assertEquals(1, luma.getColorModel().getNumColorComponents());
        assertEquals(64, luma.getWidth());
        assertEquals(48, luma.getHeight());
        double worst = 0;
        double total = 0;
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                double gray = 0.299 * colour.getRaster().getSample(x, y, 0) + 0.587 * colour.getRaster().getSample(x, y, 1)
                        + 0.114 * colour.getRaster().getSample(x, y, 2);
                double difference = Math.abs(gray - luma.getRaster().getSample(x, y, 0));
                worst = Math.max(worst, difference);
                total += difference;
            }
        }
        // Y is the luma the encoder computed; decoding R, G, B and mixing them again only adds rounding
        // (and clipping of saturated colours, which this image's mid-range colours never reach).
        assertTrue(worst <= 1.5, "worst difference " + worst);
        assertTrue(total / (64 * 48) < 0.6, "mean difference " + total / (64 * 48));
    }

    @Test
    void lumaOnlyLeavesOtherFormatsAsTheyAre() throws Exception {
        assertEquals(3, decoder.decode(TestImages.encode(TestImages.rgb(40, 30, 1), "png"), true)
                .getColorModel().getNumColorComponents());
        assertEquals(1, decoder.decode(TestImages.encode(TestImages.gray(40, 30, 1), "jpeg"), true)
                .getColorModel().getNumColorComponents());
    }

    @Test
    void refusesEmptyInput() {
        refused(decoder, new byte[0], RejectReason.EMPTY);
    }

    @Test
    void refusesInputOverTheByteLimitBeforeLookingAtIt() {
        ImageDecoder small = new ImageDecoder(new ImageLimits(1000, 40_000_000));
        byte[] image = TestImages.encode(TestImages.rgb(100, 100, 1), "bmp");
        assertTrue(refused(small, image, RejectReason.TOO_LARGE).getMessage().contains("max-bytes"));
    }

    @Test
    void refusesADecompressionBombFromItsHeaderAlone() {
        byte[] bomb = TestImages.pngHeaderClaiming(100_000, 100_000);
        // 10^10 pixels would need tens of GB; refusing from the header is immediate.
        ImageRejectedException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                () -> refused(decoder, bomb, RejectReason.TOO_MANY_PIXELS));
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void pixelLimitIsInclusive() throws Exception {
        ImageDecoder limited = new ImageDecoder(new ImageLimits(1 << 20, 1200));
        assertEquals(40, limited.decode(TestImages.encode(TestImages.gray(40, 30, 1), "png")).getWidth());
        refused(limited, TestImages.encode(TestImages.gray(41, 30, 1), "png"), RejectReason.TOO_MANY_PIXELS);
    }

    @Test
    void refusesText() {
        refused(decoder, "part 4711 OK\n".getBytes(StandardCharsets.UTF_8), RejectReason.NOT_AN_IMAGE);
    }

    @Test
    void refusesTruncatedJpegInsteadOfScoringItsGreyFill() {
        byte[] jpeg = TestImages.encode(TestImages.rgb(200, 150, 3), "jpeg");
        refused(decoder, TestImages.truncated(jpeg, 0.5), RejectReason.CORRUPT);
    }

    @Test
    void refusesTruncatedPng() {
        byte[] png = TestImages.encode(TestImages.rgb(200, 150, 3), "png");
        refused(decoder, TestImages.truncated(png, 0.5), RejectReason.CORRUPT);
    }

    @Test
    void refusesGarbageAfterAValidSignature() {
        byte[] png = TestImages.encode(TestImages.gray(50, 50, 3), "png");
        for (int i = 40; i < png.length - 12; i++) {
            png[i] = (byte) (png[i] ^ 0x5a);
        }
        refused(decoder, png, RejectReason.CORRUPT);
    }

    @Test
    void refusesCmykJpegRatherThanMisScoringIt() {
        assertTrue(refused(decoder, TestImages.cmykJpeg(), RejectReason.UNSUPPORTED).getMessage().contains("CMYK"));
    }

    @Test
    void refusesImageFormatsOutsideTheContract() {
        byte[] gif = TestImages.encode(TestImages.palette(20, 20, 1), "gif");
        assertTrue(refused(decoder, gif, RejectReason.UNSUPPORTED).getMessage().contains("gif"));
    }
}
