package io.lineside.api;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The line-side page in real headless Chromium: it loads, goes live, shows an inspection posted
 * after it opened, and a tap on it opens the heatmap. Screenshots land in target/screenshots/
 * (line-page-list.png, line-page.png) for a person to look at.
 */
@QuarkusTest
@TestProfile(HistoryTestProfile.class)
class LinePageBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TestHTTPResource("/")
    URL page;

    @Test
    void pageShowsANewInspectionLiveAndOpensItsHeatmap() throws Exception {
        try (HeadlessChromium chromium = HeadlessChromium.launch(1280, 900)) {
            chromium.navigate(page.toString());
            chromium.waitFor("the live stream to connect", "document.getElementById('link').dataset.state === 'live'", WAIT);
            chromium.waitFor("the model to show", "document.getElementById('model-name').textContent.startsWith('surface')", WAIT);
            assertEquals(String.valueOf(HistoryTestProfile.THRESHOLD),
                    chromium.eval("document.getElementById('model-threshold').textContent").asText().replaceAll("0+$", ""));

            // Posted after the page opened: they can only arrive through the live stream.
            String good = HistoryApiTest.post(Samples.goodSample(), "browser-good");
            byte[] defective = Samples.withDarkBlob(Samples.goodSample(), 220, 80, 20);
            String defect = HistoryApiTest.post(defective, "browser-defect");

            String card = "li[data-id=" + HeadlessChromium.quote(defect) + "]";
            chromium.waitFor("the defect's card", "document.querySelector(" + HeadlessChromium.quote(card) + ")", WAIT);
            chromium.waitFor("the good part's card", "document.querySelector('li[data-id=\"" + good + "\"]')", WAIT);
            assertEquals("DEFECT", chromium.eval("document.querySelector(" + HeadlessChromium.quote(card)
                    + ").dataset.verdict").asText());
            assertEquals(defect, chromium.eval("document.querySelector('#inspections li').dataset.id").asText(),
                    "newest first");
            chromium.waitFor("the defect's heatmap thumbnail", "(() => { const i = document.querySelector("
                    + HeadlessChromium.quote(card + " img") + "); return i && i.complete && i.naturalWidth === 320; })()", WAIT);
            chromium.waitFor("the score strip and counters", "document.getElementById('count-defect').textContent !== '–'"
                    + " && Number(document.getElementById('count-defect').textContent) >= 1", WAIT);

            chromium.screenshot(Path.of("target", "screenshots", "line-page-list.png"));
            chromium.click(card);
            chromium.waitFor("the heatmap dialog", "document.getElementById('detail').open", WAIT);
            chromium.waitFor("the heatmap image", "(() => { const i = document.getElementById('detail-image');"
                    + " return i.src.endsWith('/" + defect + "/heatmap.png') && i.complete && i.naturalWidth === 320"
                    + " && i.naturalHeight === 240; })()", WAIT);
            assertTrue(chromium.eval("document.getElementById('detail-title').textContent").asText().contains("browser-defect"));
            chromium.screenshot(Path.of("target", "screenshots", "line-page.png"));

            chromium.click("#view-image");
            chromium.waitFor("the original image", "document.getElementById('detail-image').src.endsWith('/" + defect
                    + "/image') && document.getElementById('detail-image').naturalWidth === 320", WAIT);
            assertTrue(chromium.pageErrors.isEmpty(), "no script errors: " + chromium.pageErrors);
        }
    }
}
