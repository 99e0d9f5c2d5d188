package dev.spinneret.selection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the pod's and namespace's {@code ipam.spidernet.io/*} annotations into per-interface requests, in
 * Spiderpool's precedence: pod {@code ippools} > pod {@code ippool} > namespace defaults > cluster default pools.
 * (The subnet annotations, which come before all of these, are read by {@link SubnetAnnotations}.)
 * The first source present wins for every interface and family. Malformed values are refused, never guessed.
 */
public final class IpamAnnotations {
    public static final String IPPOOLS = "ipam.spidernet.io/ippools";
    public static final String IPPOOL = "ipam.spidernet.io/ippool";
    public static final String SUBNET = "ipam.spidernet.io/subnet";
    public static final String SUBNETS = "ipam.spidernet.io/subnets";
    public static final String NS_DEFAULT_V4 = "ipam.spidernet.io/default-ipv4-ippool";
    public static final String NS_DEFAULT_V6 = "ipam.spidernet.io/default-ipv6-ippool";
    public static final String RESERVED_IPS = "ipam.spidernet.io/reserved-ips";
    public static final String RESERVATION_LABEL = "ipam.spidernet.io/reservation-id";

    static final String IPPOOLS_SHAPE = "[{\"interface\":\"eth0\",\"ipv4\":[\"pool-a\"],\"ipv6\":[\"pool-b\"],\"cleangateway\":false}]";
    static final String IPPOOL_SHAPE = "{\"ipv4\":[\"pool-a\"],\"ipv6\":[\"pool-b\"]}";
    static final String NS_SHAPE = "[\"pool-a\",\"pool-b\"]";

    private static final ObjectMapper JSON = AnnotationLimits.JSON;

    private IpamAnnotations() {
    }

    /**
     * @param clusterDefaultsV4 names of pools with {@code spec.default: true}, IPv4, sorted
     * @param clusterDefaultsV6 the same for IPv6
     */
    public static List<InterfaceRequest> requests(Map<String, String> podAnnotations,
            Map<String, String> namespaceAnnotations, List<String> clusterDefaultsV4, List<String> clusterDefaultsV6) {
        List<InterfaceRequest> ippools = ippools(podAnnotations);
        if (ippools != null) {
            return ippools;
        }
        InterfaceRequest ippool = ippool(podAnnotations, "eth0");
        if (ippool != null) {
            return List.of(ippool);
        }
        InterfaceRequest ns = namespaceDefaults(namespaceAnnotations, "eth0");
        if (ns != null) {
            return List.of(ns);
        }
        InterfaceRequest cluster = clusterDefaults(clusterDefaultsV4, clusterDefaultsV6, "eth0");
        return cluster == null ? List.of() : List.of(cluster);
    }

    /** The pod's {@code ippools} annotation, one request per interface; null when the pod has none. */
    public static List<InterfaceRequest> ippools(Map<String, String> podAnnotations) {
        String value = podAnnotations == null ? null : podAnnotations.get(IPPOOLS);
        return value == null ? null : parseIppools(value);
    }

    /** The pod's {@code ippool} annotation as a request for {@code iface}; null when the pod has none. */
    public static InterfaceRequest ippool(Map<String, String> podAnnotations, String iface) {
        String value = podAnnotations == null ? null : podAnnotations.get(IPPOOL);
        if (value == null) {
            return null;
        }
        JsonNode node = read(IPPOOL, value, IPPOOL_SHAPE);
        if (!node.isObject()) {
            throw shape(IPPOOL, value, IPPOOL_SHAPE);
        }
        List<String> v4 = names(IPPOOL, value, node.get("ipv4"), IPPOOL_SHAPE);
        List<String> v6 = names(IPPOOL, value, node.get("ipv6"), IPPOOL_SHAPE);
        if (v4.isEmpty() && v6.isEmpty()) {
            throw new AnnotationException("annotation " + IPPOOL + " '" + value + "' names no pool; expected "
                    + IPPOOL_SHAPE);
        }
        InterfaceRequest r = new InterfaceRequest(iface, v4, v6, null, "pod annotation " + IPPOOL);
        AnnotationLimits.checkPatterns(IPPOOL, List.of(r));
        return r;
    }

    /** The namespace's default pools as a request for {@code iface}; null when it names none. */
    public static InterfaceRequest namespaceDefaults(Map<String, String> namespaceAnnotations, String iface) {
        Map<String, String> ns = namespaceAnnotations == null ? Map.of() : namespaceAnnotations;
        if (!ns.containsKey(NS_DEFAULT_V4) && !ns.containsKey(NS_DEFAULT_V6)) {
            return null;
        }
        List<String> v4 = ns.containsKey(NS_DEFAULT_V4) ? nsNames(NS_DEFAULT_V4, ns.get(NS_DEFAULT_V4)) : List.of();
        List<String> v6 = ns.containsKey(NS_DEFAULT_V6) ? nsNames(NS_DEFAULT_V6, ns.get(NS_DEFAULT_V6)) : List.of();
        if (v4.isEmpty() && v6.isEmpty()) {
            return null;
        }
        InterfaceRequest r = new InterfaceRequest(iface, v4, v6, null, "namespace annotations " + NS_DEFAULT_V4
                + "/" + NS_DEFAULT_V6);
        AnnotationLimits.checkPatterns(NS_DEFAULT_V4 + "/" + NS_DEFAULT_V6, List.of(r));
        return r;
    }

    /** The cluster's default pools ({@code spec.default: true}) as a request for {@code iface}; null when none. */
    public static InterfaceRequest clusterDefaults(List<String> v4, List<String> v6, String iface) {
        if (v4.isEmpty() && v6.isEmpty()) {
            return null;
        }
        return new InterfaceRequest(iface, List.copyOf(v4), List.copyOf(v6), null,
                "cluster default pools (spec.default: true)");
    }

    private static List<InterfaceRequest> parseIppools(String value) {
        JsonNode node = read(IPPOOLS, value, IPPOOLS_SHAPE);
        if (!node.isArray() || node.isEmpty()) {
            throw shape(IPPOOLS, value, IPPOOLS_SHAPE);
        }
        AnnotationLimits.checkCount(IPPOOLS, "interfaces", node.size(), AnnotationLimits.MAX_INTERFACES);
        int named = 0;
        for (JsonNode item : node) {
            if (!item.isObject()) {
                throw shape(IPPOOLS, value, IPPOOLS_SHAPE);
            }
            if (item.hasNonNull("interface") && !item.get("interface").asText().isEmpty()) {
                named++;
            }
        }
        if (named != 0 && named != node.size()) {
            throw new AnnotationException("annotation " + IPPOOLS + " '" + value + "': name the interface of every"
                    + " item or of none (then they are eth0, net1, net2, ... in order)");
        }
        List<InterfaceRequest> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String iface = named == 0 ? (i == 0 ? "eth0" : "net" + i) : item.get("interface").asText();
            if (!iface.matches("[A-Za-z0-9_.\\-]{1,15}")) {
                throw new AnnotationException("annotation " + IPPOOLS + " '" + value + "': interface \"" + iface
                        + "\" is not a valid interface name (1-15 letters, digits, '.', '-', '_')");
            }
            if (!seen.add(iface)) {
                throw new AnnotationException("annotation " + IPPOOLS + " '" + value + "': interface " + iface
                        + " is listed twice");
            }
            List<String> v4 = names(IPPOOLS, value, item.get("ipv4"), IPPOOLS_SHAPE);
            List<String> v6 = names(IPPOOLS, value, item.get("ipv6"), IPPOOLS_SHAPE);
            if (v4.isEmpty() && v6.isEmpty()) {
                throw new AnnotationException("annotation " + IPPOOLS + " '" + value + "': interface " + iface
                        + " names no pool; expected " + IPPOOLS_SHAPE);
            }
            JsonNode cg = item.get("cleangateway");
            if (cg != null && !cg.isNull() && !cg.isBoolean()) {
                throw new AnnotationException("annotation " + IPPOOLS + " '" + value + "': cleangateway must be true or"
                        + " false");
            }
            out.add(new InterfaceRequest(iface, v4, v6, cg == null || cg.isNull() ? null : cg.asBoolean(),
                    "pod annotation " + IPPOOLS));
        }
        AnnotationLimits.checkPatterns(IPPOOLS, out);
        return out;
    }

    private static List<String> nsNames(String key, String value) {
        JsonNode node = read(key, value, NS_SHAPE);
        return names(key, value, node, NS_SHAPE);
    }

    private static List<String> names(String key, String value, JsonNode node, String shape) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw shape(key, value, shape);
        }
        AnnotationLimits.checkCount(key, "pools for one interface and family", node.size(), AnnotationLimits.MAX_NAMES);
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode n : node) {
            if (!n.isTextual() || n.asText().isBlank()) {
                throw shape(key, value, shape);
            }
            String name = n.asText().trim();
            if (!seen.add(name)) {
                throw new AnnotationException("annotation " + key + " '" + value + "': pool " + name
                        + " is named twice for one interface");
            }
            if (Glob.isPattern(name)) {
                try {
                    Glob.compile(name);
                } catch (AnnotationException e) {
                    throw new AnnotationException("annotation " + key + " '" + value + "': " + e.getMessage());
                }
            }
            out.add(name);
        }
        return out;
    }

    /** Parses an annotation's JSON value; anything unreadable is refused quoting the value and the expected shape. */
    static JsonNode read(String key, String value, String shape) {
        AnnotationLimits.checkLength(key, value);
        try {
            JsonNode n = JSON.readTree(value == null ? "" : value);
            if (n == null || n.isMissingNode()) {
                throw shape(key, value, shape);
            }
            return n;
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            throw new AnnotationException("annotation " + key + " is nested deeper than "
                    + AnnotationLimits.MAX_NESTING_DEPTH + " levels; expected JSON like " + shape);
        } catch (java.io.IOException e) {
            throw shape(key, value, shape);
        }
    }

    static AnnotationException shape(String key, String value, String shape) {
        return new AnnotationException("annotation " + key + " '" + value + "' is malformed; expected JSON like "
                + shape);
    }
}
