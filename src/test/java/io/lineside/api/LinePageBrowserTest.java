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
            // The model outputs a reconstruction (format 1 always does): offered beside the image, at model resolution.
            assertEquals("false", chromium.eval("String(document.getElementById('view-reconstruction').hidden)").asText());
            chromium.click("#view-reconstruction");
            chromium.waitFor("the reconstruction", "document.getElementById('detail-image').src.endsWith('/" + defect
                    + "/reconstruction.png') && document.getElementById('detail-image').naturalWidth === 64", WAIT);
            chromium.click("#detail-close");
            chromium.waitFor("the dialog to close", "!document.getElementById('detail').open", WAIT);

            // A burst at the line's pace, 20 inspections per second for 6 s: the list stays capped,
            // the newest part is on top, and the page's main thread is not blocked for long.
            chromium.eval("(() => { window.__longTasks = []; new PerformanceObserver(l => l.getEntries()"
                    + ".forEach(e => window.__longTasks.push(e.duration))).observe({type: 'longtask'}); return true; })()");
            byte[] goodPart = Samples.goodSample();
            java.util.concurrent.ExecutorService posters = java.util.concurrent.Executors.newFixedThreadPool(4);
            java.util.List<java.util.concurrent.Future<String>> posted = new java.util.ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 120; i++) {
                byte[] body = i % 10 == 0 ? defective : goodPart;
                String name = "burst-" + i;
                posted.add(posters.submit(() -> HistoryApiTest.post(body, name)));
                long sleep = start + (i + 1) * 50_000_000L - System.nanoTime(); // one every 50 ms
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
            }
            java.util.Set<String> burstIds = new java.util.HashSet<>();
            for (var f : posted) {
                burstIds.add(f.get());
            }
            posters.shutdown();
            double seconds = (System.nanoTime() - start) / 1e9;
            chromium.waitFor("the burst's cards on top", "(() => { const ids = " + new com.fasterxml.jackson.databind.ObjectMapper()
                    .writeValueAsString(burstIds) + "; const shown = [...document.querySelectorAll('#inspections li')]"
                    + ".slice(0, 50).map(li => li.dataset.id); return shown.length === 50 && shown.every(id => ids.includes(id)); })()",
                    WAIT);
            int cards = chromium.eval("document.querySelectorAll('#inspections li').length").asInt();
            assertTrue(cards <= 60, "the list is capped: " + cards + " cards");
            System.out.printf("burst: 120 inspections in %.1f s; page long tasks (ms): %s%n", seconds,
                    chromium.eval("window.__longTasks"));
            assertTrue(chromium.pageErrors.isEmpty(), "no script errors: " + chromium.pageErrors);
        }
    }
}
