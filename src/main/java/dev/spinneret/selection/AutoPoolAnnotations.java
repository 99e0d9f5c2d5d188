package dev.spinneret.selection;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The automatic-pool annotations of a workload's pod template, checked for shape when the workload is admitted
 * (so a typo fails {@code kubectl apply} of the Deployment, not every pod later): {@code ipam.spidernet.io/subnet},
 * {@code ipam.spidernet.io/subnets}, {@code ipam.spidernet.io/ippool-ip-number} ("N" or "+N") and
 * {@code ipam.spidernet.io/ippool-reclaim} (a boolean).
 */
public final class AutoPoolAnnotations {
    public static final String IP_NUMBER = "ipam.spidernet.io/ippool-ip-number";
    public static final String RECLAIM = "ipam.spidernet.io/ippool-reclaim";
    static final String SUBNET_SHAPE = "{\"interface\":\"eth0\",\"ipv4\":[\"subnet-a\"],\"ipv6\":[\"subnet-b\"]}";
    static final String SUBNETS_SHAPE = "[" + SUBNET_SHAPE + ",{\"interface\":\"net1\",\"ipv4\":[\"subnet-c\"]}]";

    private AutoPoolAnnotations() {
    }

    /** Throws {@link AnnotationException} quoting the first malformed value and the expected shape. */
    public static void check(Map<String, String> annotations) {
        if (annotations == null) {
            return;
        }
        String subnet = annotations.get(IpamAnnotations.SUBNET);
        if (subnet != null) {
            JsonNode n = read(IpamAnnotations.SUBNET, subnet, SUBNET_SHAPE);
            if (!n.isObject()) {
                throw shape(IpamAnnotations.SUBNET, subnet, SUBNET_SHAPE);
            }
            item(IpamAnnotations.SUBNET, subnet, n, SUBNET_SHAPE);
        }
        String subnets = annotations.get(IpamAnnotations.SUBNETS);
        if (subnets != null) {
            JsonNode n = read(IpamAnnotations.SUBNETS, subnets, SUBNETS_SHAPE);
            if (!n.isArray() || n.isEmpty()) {
                throw shape(IpamAnnotations.SUBNETS, subnets, SUBNETS_SHAPE);
            }
            AnnotationLimits.checkCount(IpamAnnotations.SUBNETS, "interfaces", n.size(), AnnotationLimits.MAX_INTERFACES);
            Set<String> ifaces = new HashSet<>();
            Set<String> used = new HashSet<>();
            for (int i = 0; i < n.size(); i++) {
                JsonNode it = n.get(i);
                if (!it.isObject()) {
                    throw shape(IpamAnnotations.SUBNETS, subnets, SUBNETS_SHAPE);
                }
                String iface = item(IpamAnnotations.SUBNETS, subnets, it, SUBNETS_SHAPE);
                if (!ifaces.add(iface)) {
                    throw new AnnotationException("annotation " + IpamAnnotations.SUBNETS + " '" + subnets
                            + "': interface " + iface + " is listed twice");
                }
                for (String fam : new String[] { "ipv4", "ipv6" }) {
                    JsonNode arr = it.get(fam);
                    if (arr != null && arr.isArray() && !arr.isEmpty() && !used.add(arr.get(0).asText())) {
                        throw new AnnotationException("annotation " + IpamAnnotations.SUBNETS + " '" + subnets
                                + "': subnet " + arr.get(0).asText() + " serves two interfaces; use one per interface");
                    }
                }
            }
        }
        String number = AnnotationLimits.checkLength(IP_NUMBER, annotations.get(IP_NUMBER));
        if (number != null && !number.matches("\\+?[0-9]{1,6}")) {
            throw new AnnotationException("annotation " + IP_NUMBER + " '" + number + "' is malformed; expected a"
                    + " fixed count like \"5\" or replicas plus a margin like \"+2\"");
        }
        String reclaim = AnnotationLimits.checkLength(RECLAIM, annotations.get(RECLAIM));
        if (reclaim != null && !Set.of("true", "false", "True", "False", "TRUE", "FALSE", "1", "0", "t", "f", "T", "F")
                .contains(reclaim)) {
            throw new AnnotationException("annotation " + RECLAIM + " '" + reclaim + "' is malformed; expected"
                    + " \"true\" or \"false\"");
        }
    }

    /** {@code ipam.spidernet.io/ippool-reclaim}: whether the pool goes when its workload goes (default true). */
    public static boolean reclaim(Map<String, String> annotations) {
        String v = annotations == null ? null : annotations.get(RECLAIM);
        return v == null || !Set.of("false", "False", "FALSE", "0", "f", "F").contains(v.trim());
    }

    private static String item(String key, String value, JsonNode it, String shapeText) {
        JsonNode iface = it.get("interface");
        String name = iface == null || iface.isNull() ? "eth0" : iface.asText("");
        if (iface != null && !iface.isNull() && !iface.isTextual() || !name.matches("[A-Za-z0-9_.\\-]{1,15}")) {
            throw new AnnotationException("annotation " + key + " '" + value + "': interface \"" + name
                    + "\" is not a valid interface name; expected JSON like " + shapeText);
        }
        int named = 0;
        for (String fam : new String[] { "ipv4", "ipv6" }) {
            JsonNode arr = it.get(fam);
            if (arr == null || arr.isNull()) {
                continue;
            }
            if (!arr.isArray()) {
                throw shape(key, value, shapeText);
            }
            AnnotationLimits.checkCount(key, "subnets for one interface and family", arr.size(),
                    AnnotationLimits.MAX_NAMES);
            for (JsonNode s : arr) {
                if (!s.isTextual() || s.asText().isBlank()) {
                    throw shape(key, value, shapeText);
                }
                if (Glob.isPattern(s.asText())) {
                    throw new AnnotationException("annotation " + key + " '" + value + "': subnet names take no"
                            + " wildcards (\"" + s.asText() + "\")");
                }
            }
            named += arr.size();
        }
        if (named == 0) {
            throw new AnnotationException("annotation " + key + " '" + value + "': interface " + name
                    + " names no subnet; expected JSON like " + shapeText);
        }
        return name;
    }

    private static JsonNode read(String key, String value, String shapeText) {
        return IpamAnnotations.read(key, value, shapeText);
    }

    private static AnnotationException shape(String key, String value, String shapeText) {
        return IpamAnnotations.shape(key, value, shapeText);
    }
}
