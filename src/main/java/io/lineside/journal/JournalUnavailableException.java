package io.lineside.journal;

/**
 * The journal could not make a record durable (disk full, I/O error, closed). The outcome it was
 * asked to record must not be reported to anyone: no verdict exists without its journal record.
 */
public class JournalUnavailableException extends RuntimeException {
    public JournalUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
