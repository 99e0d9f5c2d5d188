package dev.spinneret.admission;

/** One-method admission logic; throw {@link AdmissionDenied} to deny. Anything else thrown is a bug. */
@FunctionalInterface
public interface AdmissionHandler {
    AdmissionOutcome handle(AdmissionRequest request);
}
