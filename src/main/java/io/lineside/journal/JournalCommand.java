package io.lineside.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code java -jar quarkus-run.jar journal verify [DIR]}: checks a journal directory without starting the
 * appliance (read-only, so it is safe beside a running one). Prints the report as JSON; exit status 0 when
 * the chain holds, 1 when it is broken, 2 on a usage error.
 */
public final class JournalCommand {

    /** The default of {@code lineside.journal.path}. */
    static final String DEFAULT_DIR = "./data/journal";

    private JournalCommand() {
    }

    public static int run(String... args) {
        if (args.length < 2 || args.length > 3 || !"verify".equals(args[1])) {
            System.err.println("usage: journal verify [DIR]   (DIR defaults to " + DEFAULT_DIR + ") -- got "
                    + Arrays.toString(args));
            return 2;
        }
        Path dir = Path.of(args.length == 3 ? args[2] : DEFAULT_DIR);
        if (!Files.isDirectory(dir)) {
            System.err.println("journal verify: no such directory: " + dir.toAbsolutePath());
            return 2;
        }
        VerifyReport report = JournalVerifier.verify(dir);
        try {
            System.out.println(Journal.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(report));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        System.err.println(report.ok()
                ? "journal OK: " + report.records() + " records in " + report.files() + " file(s)"
                : "journal BROKEN at " + report.firstBroken().file() + " line " + report.firstBroken().line()
                        + ": " + report.firstBroken().reason());
        return report.ok() ? 0 : 1;
    }
}
