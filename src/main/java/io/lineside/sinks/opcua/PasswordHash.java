package io.lineside.sinks.opcua;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Stored password hashes for {@code lineside.opcua.users}: {@code pbkdf2-sha256.<iterations>.<salt>.<hash>}
 * (PBKDF2-HMAC-SHA256, salt and hash in unpadded base64url, so the value holds no ',' or ':').
 * {@code java -jar quarkus-run.jar hash-password} reads a password and prints its hash.
 */
public final class PasswordHash {

    static final String SCHEME = "pbkdf2-sha256";
    static final int ITERATIONS = 210_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;

    private PasswordHash() {
    }

    public static String hash(char[] password) {
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return SCHEME + "." + ITERATIONS + "." + b64.encodeToString(salt) + "." + b64.encodeToString(derive(password, salt, ITERATIONS));
    }

    /** Whether {@code stored} is a well-formed hash (checked at start-up, so a typo fails loudly). */
    public static boolean wellFormed(String stored) {
        String[] p = stored.split("\\.");
        if (p.length != 4 || !SCHEME.equals(p[0])) {
            return false;
        }
        try {
            return Integer.parseInt(p[1]) >= 10_000 && Base64.getUrlDecoder().decode(p[2]).length >= 8
                    && Base64.getUrlDecoder().decode(p[3]).length == HASH_BITS / 8;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public static boolean verify(String password, String stored) {
        if (password == null || !wellFormed(stored)) {
            return false;
        }
        String[] p = stored.split("\\.");
        byte[] expected = Base64.getUrlDecoder().decode(p[3]);
        byte[] actual = derive(password.toCharArray(), Base64.getUrlDecoder().decode(p[2]), Integer.parseInt(p[1]));
        return MessageDigest.isEqual(expected, actual);
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
        }
    }

    /** The {@code hash-password} command: the password from the terminal (not echoed) or one line of stdin. */
    public static int command() {
        char[] password;
        Console console = System.console();
        try {
            if (console != null) {
                password = console.readPassword("password: ");
            } else {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                password = line == null ? null : line.toCharArray();
            }
        } catch (IOException e) {
            System.err.println("cannot read the password: " + e.getMessage());
            return 2;
        }
        if (password == null || password.length == 0) {
            System.err.println("no password given (type it, or pipe one line on stdin)");
            return 2;
        }
        System.out.println(hash(password));
        return 0;
    }
}
