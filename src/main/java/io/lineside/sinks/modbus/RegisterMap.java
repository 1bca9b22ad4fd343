package io.lineside.sinks.modbus;

import io.lineside.sinks.LineState;

/**
 * The holding registers (unit id 1), big-endian words; floats are IEEE-754 with the high word first:
 * <pre>
 *  0      sequence, +1 per outcome (mod 65536)
 *  1      last outcome: 0 none yet, 1 GOOD, 2 DEFECT, 3 REJECTED
 *  2-3    last score (float32; NaN for a rejection or before the first outcome)
 *  4-5    threshold (float32): the last verdict's; the one in force before any verdict or after a rejection
 *  6      ready (1 while a model is in service)
 *  7      reserved (0)
 *  8-9    GOOD count since start (uint32)
 *  10-11  DEFECT count since start (uint32)
 *  12-13  REJECTED count since start (uint32)
 * </pre>
 */
public final class RegisterMap {

    public static final int SIZE = 14;

    private RegisterMap() {
    }

    public static int[] encode(LineState.Snapshot s, boolean ready, double thresholdInForce) {
        int[] r = new int[SIZE];
        LineState.Last last = s.last();
        r[0] = (int) (s.sequence() & 0xFFFF);
        r[1] = last.kind().code;
        putFloat(r, 2, (float) last.score());
        boolean verdict = last.kind() == LineState.Kind.GOOD || last.kind() == LineState.Kind.DEFECT;
        putFloat(r, 4, (float) (verdict ? last.threshold() : thresholdInForce));
        r[6] = ready ? 1 : 0;
        putUint32(r, 8, s.good());
        putUint32(r, 10, s.defect());
        putUint32(r, 12, s.rejected());
        return r;
    }

    /** The registers {@code from .. from+count-1} as the bytes of a read response. */
    public static byte[] bytes(int[] registers, int from, int count) {
        byte[] b = new byte[count * 2];
        for (int i = 0; i < count; i++) {
            b[2 * i] = (byte) (registers[from + i] >>> 8);
            b[2 * i + 1] = (byte) registers[from + i];
        }
        return b;
    }

    private static void putFloat(int[] r, int at, float v) {
        int bits = Float.floatToIntBits(v);
        r[at] = bits >>> 16;
        r[at + 1] = bits & 0xFFFF;
    }

    /** Counts wrap at 2^32 (after 4 billion parts), as a PLC's UDINT would. */
    private static void putUint32(int[] r, int at, long v) {
        r[at] = (int) ((v >>> 16) & 0xFFFF);
        r[at + 1] = (int) (v & 0xFFFF);
    }
}
