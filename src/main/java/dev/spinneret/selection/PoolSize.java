package dev.spinneret.selection;

import java.util.OptionalInt;

/**
 * The size of an automatic pool from {@code ipam.spidernet.io/ippool-ip-number}: {@code "+N"} is flexible (the
 * workload's replicas plus N spare addresses), {@code "N"} is fixed.
 */
public record PoolSize(boolean flexible, int n) {

    /** Parses the annotation value, falling back to {@code defaultValue} when it is absent. */
    public static PoolSize parse(String value, String defaultValue) {
        String v = value == null || value.isBlank() ? defaultValue : value.trim();
        if (v == null || !v.matches("\\+?[0-9]{1,6}")) {
            throw new AnnotationException("annotation " + AutoPoolAnnotations.IP_NUMBER + " '" + v + "' is malformed;"
                    + " expected a fixed count like \"5\" or replicas plus a margin like \"+2\"");
        }
        return new PoolSize(v.startsWith("+"), Integer.parseInt(v.startsWith("+") ? v.substring(1) : v));
    }

    /**
     * The number of addresses the pool should hold. A flexible size needs the workload's replica count; a controller
     * whose scale Spinneret cannot read (a third-party kind) must use a fixed size.
     */
    public int desired(OptionalInt replicas, String workload) {
        if (!flexible) {
            return n;
        }
        if (replicas.isEmpty()) {
            throw new AnnotationException("Spinneret cannot read the replica count of " + workload + ", so its"
                    + " automatic pool needs a fixed size: set " + AutoPoolAnnotations.IP_NUMBER + " to a number like"
                    + " \"" + Math.max(n, 1) + "\" (not \"+" + n + "\") in the pod template");
        }
        return replicas.getAsInt() + n;
    }

    @Override
    public String toString() {
        return (flexible ? "+" : "") + n;
    }
}
