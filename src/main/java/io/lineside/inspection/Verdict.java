package io.lineside.inspection;

/** The decision for one part: score above the threshold is a defect. */
public enum Verdict {
    GOOD, DEFECT
}
