package dev.spinneret.selection;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a pod's automatic-pool annotations: {@code ipam.spidernet.io/subnets} (one item per interface) wins over
 * {@code ipam.spidernet.io/subnet}; both win over every pool annotation (Spiderpool's precedence). Shapes are
 * checked by {@link AutoPoolAnnotations#check}; only the first subnet per family is used.
 */
public final class SubnetAnnotations {
    private SubnetAnnotations() {
    }

    /** True when the pod asks for automatic pools. */
    public static boolean present(Map<String, String> annotations) {
        return annotations != null && (annotations.containsKey(IpamAnnotations.SUBNETS)
                || annotations.containsKey(IpamAnnotations.SUBNET));
    }

    /** The per-interface subnet requests; empty when the pod has neither annotation. */
    public static List<SubnetRequest> requests(Map<String, String> annotations) {
        if (!present(annotations)) {
            return List.of();
        }
        AutoPoolAnnotations.check(annotations);
        List<SubnetRequest> out = new ArrayList<>();
        if (annotations.containsKey(IpamAnnotations.SUBNETS)) {
            for (JsonNode item : IpamAnnotations.read(IpamAnnotations.SUBNETS, annotations.get(IpamAnnotations.SUBNETS),
                    AutoPoolAnnotations.SUBNETS_SHAPE)) {
                out.add(request(item));
            }
        } else {
            out.add(request(IpamAnnotations.read(IpamAnnotations.SUBNET, annotations.get(IpamAnnotations.SUBNET),
                    AutoPoolAnnotations.SUBNET_SHAPE)));
        }
        return out;
    }

    private static SubnetRequest request(JsonNode item) {
        JsonNode iface = item.get("interface");
        return new SubnetRequest(iface == null || iface.isNull() ? "eth0" : iface.asText(), first(item.get("ipv4")),
                first(item.get("ipv6")));
    }

    private static String first(JsonNode arr) {
        return arr == null || !arr.isArray() || arr.isEmpty() ? null : arr.get(0).asText().trim();
    }
}
