package dev.spinneret.cluster;

import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * An API the cluster may not serve (a CRD that is not installed, such as Multus' NetworkAttachmentDefinition): its
 * informer is started only once the API is served, and its absence is said once, not at every retry of a
 * list/watch (the client logs each failed retry with a stack trace). {@link #check()} is called periodically until it
 * returns true; each call answers the one log line due, if any.
 */
final class OptionalApi {
    private final String name;
    private final String off;
    private final BooleanSupplier served;
    private final Runnable start;
    private boolean started;
    private boolean absenceSaid;

    /**
     * @param name   what the API is, for the log ("the NetworkAttachmentDefinition API (k8s.cni.cncf.io/v1)")
     * @param off    what does not work while it is absent ("NetworkAttachmentDefinition-based pool selection")
     * @param served whether the API server serves it now (discovery; an error counts as not served)
     * @param start  starts the informer (called once)
     */
    OptionalApi(String name, String off, BooleanSupplier served, Runnable start) {
        this.name = name;
        this.off = off;
        this.served = served;
        this.start = start;
    }

    record Check(boolean started, Optional<String> log) {
    }

    /** Starts the informer if the API is served now; the line to log, when the state changed or is first known. */
    synchronized Check check() {
        if (started) {
            return new Check(true, Optional.empty());
        }
        if (!served.getAsBoolean()) {
            if (absenceSaid) {
                return new Check(false, Optional.empty());
            }
            absenceSaid = true;
            return new Check(false, Optional.of(name + " is not served (its CRD is not installed): " + off
                    + " is off until it appears"));
        }
        start.run();
        started = true;
        return new Check(true, Optional.of(absenceSaid ? name + " appeared: " + off + " is on" : name + " is served"));
    }
}
