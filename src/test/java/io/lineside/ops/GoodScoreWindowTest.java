package io.lineside.ops;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GoodScoreWindowTest {

    @Test
    void isNaNUntilTheMinimumIsReached() {
        GoodScoreWindow window = new GoodScoreWindow(10, 3);
        window.add(1);
        window.add(2);
        assertTrue(Double.isNaN(window.median()));
        window.add(3);
        assertEquals(2.0, window.median());
    }

    @Test
    void medianOfEvenCountIsTheMeanOfTheMiddlePair() {
        GoodScoreWindow window = new GoodScoreWindow(10, 1);
        for (double s : new double[] {4, 1, 3, 2}) {
            window.add(s);
        }
        assertEquals(2.5, window.median());
    }

    @Test
    void keepsOnlyTheMostRecentScores() {
        GoodScoreWindow window = new GoodScoreWindow(5, 5);
        for (int i = 0; i < 5; i++) {
            window.add(100);
        }
        for (int i = 0; i < 5; i++) {
            window.add(i);        // 0..4 push every 100 out
        }
        assertEquals(5, window.size());
        assertEquals(2.0, window.median());
        window.add(50);           // drops the 0: 1,2,3,4,50
        assertEquals(3.0, window.median());
    }

    @Test
    void ignoresNonFiniteScoresAndStartsOverWhenCleared() {
        GoodScoreWindow window = new GoodScoreWindow(4, 1);
        window.add(Double.NaN);
        window.add(Double.POSITIVE_INFINITY);
        assertEquals(0, window.size());
        window.add(7);
        window.clear();
        assertTrue(Double.isNaN(window.median()));
    }

    @Test
    void refusesImpossibleSizes() {
        assertThrows(IllegalArgumentException.class, () -> new GoodScoreWindow(10, 11));
        assertThrows(IllegalArgumentException.class, () -> new GoodScoreWindow(0, 0));
    }
}
