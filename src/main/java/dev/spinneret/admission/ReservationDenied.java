package dev.spinneret.admission;


/** A pod the webhook refuses; {@code kind} is the metric/event reason (NoPool, Exhausted, BadAnnotation, ...). */
public class ReservationDenied extends AdmissionDenied {
    private final String kind;

    public ReservationDenied(int code, String kind, String message) {
        super(code, code == 403 ? "Forbidden" : code == 422 ? "Invalid" : "ServiceUnavailable", message);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }
}
