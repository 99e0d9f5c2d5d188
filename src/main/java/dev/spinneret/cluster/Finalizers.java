package dev.spinneret.cluster;

import dev.spinneret.api.v2beta1.SpiderApi;
import java.util.ArrayList;
import java.util.List;

/**
 * Spinneret's finalizer on a pool or subnet, and the legacy one ({@link SpiderApi#LEGACY_FINALIZER}) written by
 * Spiderpool and earlier Spinneret versions. Either one holds the object; the legacy one is only ever removed in the
 * same write that adds the current one, or when the object may go. Pure: lists in, lists out.
 */
public final class Finalizers {
    private Finalizers() {
    }

    /** True when the object is held by Spinneret: it carries {@code current} or the legacy finalizer. */
    public static boolean held(List<String> finalizers, String current) {
        return finalizers != null
                && (finalizers.contains(current) || finalizers.contains(SpiderApi.LEGACY_FINALIZER));
    }

    /** True when the legacy finalizer is still there. */
    public static boolean legacy(List<String> finalizers) {
        return finalizers != null && finalizers.contains(SpiderApi.LEGACY_FINALIZER);
    }

    /**
     * The finalizers with {@code current} in place of the legacy one (at its position; others keep theirs), and
     * {@code current} added if neither was there.
     */
    public static List<String> migrated(List<String> finalizers, String current) {
        List<String> out = new ArrayList<>();
        boolean placed = false;
        for (String f : finalizers == null ? List.<String>of() : finalizers) {
            if (f.equals(SpiderApi.LEGACY_FINALIZER) || f.equals(current)) {
                if (!placed) {
                    out.add(current);
                    placed = true;
                }
            } else {
                out.add(f);
            }
        }
        if (!placed) {
            out.add(current);
        }
        return out;
    }

    /** The finalizers without Spinneret's (current and legacy): what is left once the object may go. */
    public static List<String> released(List<String> finalizers, String current) {
        List<String> out = new ArrayList<>(finalizers == null ? List.of() : finalizers);
        out.removeIf(f -> f.equals(current) || f.equals(SpiderApi.LEGACY_FINALIZER));
        return out;
    }
}
