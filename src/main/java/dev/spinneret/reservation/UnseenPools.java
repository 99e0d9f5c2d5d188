package dev.spinneret.reservation;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.selection.Glob;
import dev.spinneret.selection.InterfaceRequest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The pools a pod names that the watch cache has not seen yet. The cache follows the API server by the watch delay,
 * so a pool applied a moment before the pod ({@code kubectl apply -f pool.yaml -f deploy.yaml}) may be missing from it
 * while it exists; such a pool is read from the API server instead of being refused as "no such SpiderIPPool".
 * Only explicit, well-formed names are read (a pattern matches what is seen), each once; a name that does not exist
 * is still refused by the selection. The number of names is bounded by the annotation limits.
 */
final class UnseenPools {
    /** A Kubernetes object name (DNS-1123 subdomain): anything else cannot name a pool and is never sent. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    private UnseenPools() {
    }

    /** The explicitly named pools of {@code requests} that {@code seen} does not hold, in the order named. */
    static Set<String> named(List<InterfaceRequest> requests, Set<String> seen) {
        Set<String> unseen = new LinkedHashSet<>();
        for (InterfaceRequest r : requests) {
            for (List<String> names : List.of(r.ipv4(), r.ipv6())) {
                for (String n : names) {
                    if (!seen.contains(n) && !Glob.isPattern(n) && NAME.matcher(n).matches()) {
                        unseen.add(n);
                    }
                }
            }
        }
        return unseen;
    }

    /** Reads each unseen named pool with {@code read} (null when absent); returns those that exist. */
    static List<SpiderIPPool> read(List<InterfaceRequest> requests, Set<String> seen,
            Function<String, SpiderIPPool> read) {
        return named(requests, seen).stream().map(read).filter(p -> p != null).toList();
    }
}
