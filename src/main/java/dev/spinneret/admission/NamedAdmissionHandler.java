package dev.spinneret.admission;

/** An admission handler served at {@code /admission/<webhookName()>}. */
public interface NamedAdmissionHandler extends AdmissionHandler {
    String webhookName();
}
