package io.lineside;

import io.lineside.journal.JournalCommand;
import io.lineside.sinks.opcua.PasswordHash;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point. {@code journal ...} and {@code hash-password} (a hash for {@code lineside.opcua.users}) run
 * a command without starting the appliance (no HTTP port, no model, no folder polling); anything else starts the appliance exactly as Quarkus would.
 */
@QuarkusMain
public class LinesideMain {

    public static void main(String... args) {
        if (args.length > 0 && "journal".equals(args[0])) {
            System.exit(JournalCommand.run(args));
        }
        if (args.length > 0 && "hash-password".equals(args[0])) {
            System.exit(PasswordHash.command());
        }
        Quarkus.run(args);
    }
}
