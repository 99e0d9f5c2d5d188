package dev.spinneret.cluster;

/** Turns a reservation id from a pool's ledger into words for error messages ("pod default/nginx-abc"). */
public interface ReservationNames {
    String describe(String reservationId);
}
