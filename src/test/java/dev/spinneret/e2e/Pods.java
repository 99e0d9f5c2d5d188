package dev.spinneret.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ledger.Ledgers;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads what Spinneret wrote into pods and pools. */
final class Pods {
    static final ObjectMapper M = new ObjectMapper();

    private Pods() {
    }

    /** The reserved IPv4 address of eth0 without prefix, or null. */
    static String ipv4(Pod p) {
        JsonNode r = reservation(p);
        if (r == null) {
            return null;
        }
        String cidr = r.at("/interfaces/0/ipv4").asText(null);
        return cidr == null ? null : cidr.substring(0, cidr.indexOf('/'));
    }

    static JsonNode reservation(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        String json = a == null ? null : a.get("ipam.spidernet.io/reserved-ips");
        if (json == null) {
            return null;
        }
        try {
            return M.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("unreadable reservation on " + p.getMetadata().getName() + ": " + json);
        }
    }

    static List<String> ipv4s(List<Pod> pods) {
        List<String> out = new ArrayList<>();
        pods.forEach(p -> out.add(ipv4(p)));
        return out;
    }

    /** The pool's whole ledger (its blocks merged), encoded. */
    static String ledger(KubernetesClient c, String pool) {
        return Ledgers.of(c, pool);
    }

    /** The pods the pool's ledger binds reservations to, as {@code namespace/name}. */
    static java.util.Collection<String> holders(KubernetesClient c, String pool) {
        return Ledgers.holders(c, pool).values();
    }

    /** {@code status.allocatedIPCount}, once settled (the counts lag the blocks by about a second). */
    static long allocated(KubernetesClient c, String pool) {
        return Ledgers.settledCount(c, pool);
    }
}
