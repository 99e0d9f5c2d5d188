package dev.spinneret.reservation;

import dev.spinneret.ledger.IdDigest;

/**
 * Reservation ids are derived from the AdmissionReview request uid: the same request (a reinvocation, a retry of
 * the same review) always maps to the same id, so it finds the addresses it already holds instead of taking more.
 */
final class ReservationIds {
    static final int LENGTH = IdDigest.LENGTH;

    private ReservationIds() {
    }

    static String fromRequestUid(String uid) {
        return IdDigest.of(uid);
    }
}
