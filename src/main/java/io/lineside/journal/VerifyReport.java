package io.lineside.journal;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Result of checking the journal's hash chain.
 *
 * @param ok          true when every record links to the one before it
 * @param records     records checked
 * @param files       journal files checked
 * @param firstBroken the first broken link, or null
 */
@RegisterForReflection
public record VerifyReport(boolean ok, long records, int files, Broken firstBroken) {

    /** @param line 1-based line number within {@code file} */
    @RegisterForReflection
    public record Broken(String file, long line, String reason) {
    }
}
