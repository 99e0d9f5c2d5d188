package dev.spinneret.reservation;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Reservation ids are derived from the AdmissionReview request uid: the same request (a reinvocation, a retry of
 * the same review) always maps to the same id, so it finds the addresses it already holds instead of taking more.
 */
final class ReservationIds {
    static final int LENGTH = 12;

    private ReservationIds() {
    }

    static String fromRequestUid(String uid) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(uid.getBytes(StandardCharsets.UTF_8));
            String s = new BigInteger(1, h).toString(36);
            while (s.length() < LENGTH) {
                s = "0" + s;
            }
            return s.substring(0, LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
