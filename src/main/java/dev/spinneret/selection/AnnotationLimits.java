package dev.spinneret.selection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Bounds on the annotation values Spinneret parses ({@code ipam.spidernet.io/*} and Multus' network selection), so
 * that no value — Kubernetes lets a pod carry 256 KiB of annotations — costs more than a few thousand steps to read
 * and select from. Real values are far below: a pod with a dozen interfaces and a handful of pools each writes
 * under 2 KiB. A value beyond a bound is refused naming the annotation and the bound.
 */
public final class AnnotationLimits {
    /** Characters in one annotation value. */
    public static final int MAX_VALUE_LENGTH = 8192;
    /** Interfaces one annotation may list (items of ippools, subnets, Multus networks). */
    public static final int MAX_INTERFACES = 16;
    /** Pool (or subnet) names or patterns per interface and family; addresses per Multus network. */
    public static final int MAX_NAMES = 32;
    /**
     * Wildcard patterns in one annotation value: each is matched against every pool name (at most ~1,000 word
     * operations per name, see {@link Glob}), so this bounds selection to a few ms even with thousands of pools.
     */
    public static final int MAX_PATTERNS = 8;
    /** Networks in Multus' {@code k8s.v1.cni.cncf.io/networks} (also read for pods Spinneret does not serve). */
    public static final int MAX_NETWORKS = 32;
    /** JSON nesting of a value: the deepest real shape is a list of objects of lists (3). */
    public static final int MAX_NESTING_DEPTH = 8;

    /** The JSON reader of annotation values, with the nesting bound (length is checked before reading). */
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxStringLength(MAX_VALUE_LENGTH).build())
            .build());

    private AnnotationLimits() {
    }

    /** Refuses a value longer than {@link #MAX_VALUE_LENGTH}, without quoting it. */
    public static String checkLength(String key, String value) {
        if (value != null && value.length() > MAX_VALUE_LENGTH) {
            throw new AnnotationException("annotation " + key + " is " + value.length() + " characters long; at most "
                    + MAX_VALUE_LENGTH + " are accepted");
        }
        return value;
    }

    /** Refuses more than {@link #MAX_PATTERNS} wildcard patterns among the names of one annotation value. */
    static void checkPatterns(String key, java.util.Collection<InterfaceRequest> requests) {
        long patterns = requests.stream().flatMap(r -> java.util.stream.Stream.concat(r.ipv4().stream(),
                r.ipv6().stream())).filter(Glob::isPattern).count();
        if (patterns > MAX_PATTERNS) {
            throw new AnnotationException("annotation " + key + " has " + patterns + " pool name patterns; at most "
                    + MAX_PATTERNS + " are accepted (name the pools, or use fewer, broader patterns)");
        }
    }

    /** Refuses a list of {@code count} {@code what} beyond {@code max}. */
    public static void checkCount(String key, String what, int count, int max) {
        if (count > max) {
            throw new AnnotationException("annotation " + key + " lists " + count + " " + what + "; at most " + max
                    + " are accepted");
        }
    }
}
