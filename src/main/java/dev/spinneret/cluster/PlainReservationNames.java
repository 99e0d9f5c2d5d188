package dev.spinneret.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import io.quarkus.arc.DefaultBean;

/** Fallback when no pod index is available: names the reservation id only. */
@ApplicationScoped
@DefaultBean
public class PlainReservationNames implements ReservationNames {
    @Override
    public String describe(String reservationId) {
        return "reservation " + reservationId;
    }
}
