package dev.spinneret.ledger;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Reservation ids derived from a seed (an admission request uid, a pod UID): the same seed always gives the same
 * 12-character id of {@code [a-z0-9]}, so whoever derives it again (a retry, another replica) finds the addresses it
 * already holds.
 */
public final class IdDigest {
    public static final int LENGTH = 12;

    private IdDigest() {
    }

    public static String of(String seed) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
            String s = new BigInteger(1, h).toString(36);
            StringBuilder padded = new StringBuilder();
            for (int i = s.length(); i < LENGTH; i++) {
                padded.append('0');
            }
            return padded.append(s).substring(0, LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
