package dev.spinneret.selection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Multus' network selection, read as Multus reads it: {@code k8s.v1.cni.cncf.io/networks} in the comma form
 * ({@code [namespace/]name[@interface]}, items separated by commas) or the JSON list form
 * ({@code [{"name":..,"namespace":..,"interface":..,"ips":[..]}]}), and {@code v1.multus-cni.io/default-network}
 * (one network replacing the cluster network on {@code eth0}; a bare name is in Multus' own namespace).
 * Interface names follow Multus: the one written, otherwise {@code net1}, {@code net2}, ... by position.
 */
public final class MultusAnnotations {
    public static final String NETWORKS = "k8s.v1.cni.cncf.io/networks";
    public static final String DEFAULT_NETWORK = "v1.multus-cni.io/default-network";

    static final String SHAPE = "\"macvlan-ens224@net1, other-ns/ipvlan\" or [{\"name\":\"macvlan-ens224\","
            + "\"namespace\":\"kube-system\",\"interface\":\"net1\",\"ips\":[\"10.6.1.20/24\"]}]";
    /** Multus' check on each part of the comma form: DNS-1123 labels. */
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,15}");
    private static final ObjectMapper JSON = AnnotationLimits.JSON;

    private MultusAnnotations() {
    }

    /** Whether the pod names any Multus network (then admission has to look at it). */
    public static boolean present(Map<String, String> podAnnotations) {
        return podAnnotations != null && (notBlank(podAnnotations.get(NETWORKS))
                || notBlank(podAnnotations.get(DEFAULT_NETWORK)));
    }

    /** The additional networks in the annotation's order; bare names are in the pod's namespace. */
    public static List<NetworkSelection> networks(Map<String, String> podAnnotations, String podNamespace) {
        String value = podAnnotations == null ? null : podAnnotations.get(NETWORKS);
        if (!notBlank(value)) {
            return List.of();
        }
        List<NetworkSelection> parsed = parse(NETWORKS, value, podNamespace, 1);
        Map<String, String> seen = new HashMap<>();
        for (NetworkSelection n : parsed) {
            if ("eth0".equals(n.iface())) {
                throw new AnnotationException("annotation " + NETWORKS + " '" + value + "': network " + n.key()
                        + " asks for interface eth0, which is the cluster network's (use " + DEFAULT_NETWORK
                        + " to replace it)");
            }
            String other = seen.put(n.iface(), n.key());
            if (other != null) {
                throw new AnnotationException("annotation " + NETWORKS + " '" + value + "': networks " + other
                        + " and " + n.key() + " would both be interface " + n.iface() + " (unnamed networks are"
                        + " net<position>: name the interface with @ or \"interface\")");
            }
        }
        return parsed;
    }

    /** The network replacing the cluster network on eth0, if the pod names one; bare names are in Multus' namespace. */
    public static Optional<NetworkSelection> defaultNetwork(Map<String, String> podAnnotations,
            String multusNamespace) {
        String value = podAnnotations == null ? null : podAnnotations.get(DEFAULT_NETWORK);
        if (!notBlank(value)) {
            return Optional.empty();
        }
        List<NetworkSelection> parsed = parse(DEFAULT_NETWORK, value, multusNamespace, 0);
        if (parsed.size() != 1) {
            throw new AnnotationException("annotation " + DEFAULT_NETWORK + " '" + value + "' must name exactly one"
                    + " network, it names " + parsed.size());
        }
        NetworkSelection n = parsed.get(0);
        return Optional.of(new NetworkSelection(n.namespace(), n.name(), "eth0", n.ips(), n.source()));
    }

    /** @param firstIndex the position of the first item among Multus' delegates (0 is the cluster network) */
    static List<NetworkSelection> parse(String key, String value, String defaultNamespace, int firstIndex) {
        AnnotationLimits.checkLength(key, value);
        String v = value.trim();
        boolean json = v.indexOf('[') >= 0 || v.indexOf('{') >= 0 || v.indexOf('"') >= 0; // Multus' own test
        List<NetworkSelection> out = new ArrayList<>();
        if (!json) {
            String[] items = v.split(",", -1);
            AnnotationLimits.checkCount(key, "networks", items.length, AnnotationLimits.MAX_NETWORKS);
            for (int i = 0; i < items.length; i++) {
                out.add(commaItem(key, value, items[i].trim(), defaultNamespace, firstIndex + i));
            }
            return out;
        }
        JsonNode root;
        try {
            root = JSON.readTree(v);
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            throw new AnnotationException("annotation " + key + " is nested deeper than "
                    + AnnotationLimits.MAX_NESTING_DEPTH + " levels; expected " + SHAPE);
        } catch (java.io.IOException e) {
            throw shape(key, value, "it is not valid JSON");
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw shape(key, value, "the JSON form is a non-empty list of objects");
        }
        AnnotationLimits.checkCount(key, "networks", root.size(), AnnotationLimits.MAX_NETWORKS);
        for (int i = 0; i < root.size(); i++) {
            JsonNode item = root.get(i);
            if (!item.isObject()) {
                throw shape(key, value, "item " + (i + 1) + " is not an object");
            }
            String name = text(key, value, item, "name", i);
            if (name == null || name.isBlank()) {
                throw shape(key, value, "item " + (i + 1) + " has no \"name\"");
            }
            String ns = text(key, value, item, "namespace", i);
            String iface = text(key, value, item, "interface", i);
            List<StaticAddress> ips = new ArrayList<>();
            JsonNode ipsNode = item.get("ips");
            if (ipsNode != null && !ipsNode.isNull()) {
                if (!ipsNode.isArray()) {
                    throw shape(key, value, "\"ips\" of " + name + " must be a list of addresses");
                }
                AnnotationLimits.checkCount(key, "addresses for network " + name, ipsNode.size(),
                        AnnotationLimits.MAX_NAMES);
                for (JsonNode ip : ipsNode) {
                    if (!ip.isTextual()) {
                        throw shape(key, value, "\"ips\" of " + name + " must be a list of addresses");
                    }
                    try {
                        ips.add(StaticAddress.parse(ip.asText()));
                    } catch (RuntimeException e) {
                        throw new AnnotationException("annotation " + key + " '" + value + "': \"ips\" of network "
                                + name + ": '" + ip.asText() + "' is not an IP address or CIDR");
                    }
                }
            }
            out.add(selection(key, value, ns == null || ns.isBlank() ? defaultNamespace : ns.trim(), name.trim(),
                    iface == null || iface.isBlank() ? null : iface.trim(), ips, firstIndex + i));
        }
        return out;
    }

    private static NetworkSelection commaItem(String key, String value, String item, String defaultNamespace,
            int index) {
        if (item.isEmpty()) {
            throw shape(key, value, "it has an empty item");
        }
        String[] slash = item.split("/", -1);
        if (slash.length > 2) {
            throw shape(key, value, "'" + item + "' has more than one '/'");
        }
        String ns = slash.length == 2 ? slash[0].trim() : null;
        String[] at = slash[slash.length - 1].split("@", -1);
        if (at.length > 2) {
            throw shape(key, value, "'" + item + "' has more than one '@'");
        }
        String name = at[0].trim();
        String iface = at.length == 2 ? at[1].trim() : null;
        for (String part : new String[] { ns, name, iface }) {
            if (part != null && !LABEL.matcher(part).matches()) {
                throw shape(key, value, "'" + part + "' in '" + item + "' is not a valid name (lower-case letters,"
                        + " digits and '-', starting and ending with a letter or digit)");
            }
        }
        return selection(key, value, ns == null ? defaultNamespace : ns, name, iface, List.of(), index);
    }

    private static NetworkSelection selection(String key, String value, String ns, String name, String iface,
            List<StaticAddress> ips, int index) {
        String ifname = iface != null ? iface : "net" + index;
        if (!IFNAME.matcher(ifname).matches()) {
            throw shape(key, value, "interface \"" + ifname + "\" of network " + name + " is not a valid interface"
                    + " name (1-15 letters, digits, '.', '-', '_')");
        }
        boolean v4 = false;
        boolean v6 = false;
        for (StaticAddress a : ips) {
            boolean six = a.address().isIPv6();
            if (six ? v6 : v4) {
                throw new AnnotationException("annotation " + key + " '" + value + "': \"ips\" of network " + name
                        + " lists two IPv" + (six ? 6 : 4) + " addresses; an interface gets one address per family");
            }
            v4 |= !six;
            v6 |= six;
        }
        return new NetworkSelection(ns, name, ifname, List.copyOf(ips), "annotation " + key);
    }

    private static String text(String key, String value, JsonNode item, String field, int i) {
        JsonNode n = item.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw shape(key, value, "\"" + field + "\" of item " + (i + 1) + " must be a string");
        }
        return n.asText();
    }

    private static AnnotationException shape(String key, String value, String why) {
        return new AnnotationException("annotation " + key + " '" + value + "' is malformed (" + why
                + "); expected " + SHAPE);
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
