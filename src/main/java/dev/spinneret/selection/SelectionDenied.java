package dev.spinneret.selection;

/**
 * A pod that cannot be served as it is written, for a reason other than a malformed Spinneret annotation: a
 * network it selects is missing or unreadable, a served interface has no pool, a static address cannot be used.
 * {@code reason} is the short cause for metrics and Events (NoNetwork, BadNetwork, NoPool, BadStaticIP).
 */
public class SelectionDenied extends AnnotationException {
    private final String reason;

    public SelectionDenied(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
