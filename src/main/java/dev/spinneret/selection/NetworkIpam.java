package dev.spinneret.selection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a NetworkAttachmentDefinition's CNI configuration ({@code spec.config}: one plugin, or a conflist with
 * {@code plugins}) says about IP address management: whether a plugin's {@code ipam.type} is {@code spinneret} or
 * {@code spiderpool} — then Spinneret serves the interface — and that IPAM section's
 * {@code default_ipv4_ippool} / {@code default_ipv6_ippool} / {@code clean_gateway}.
 */
public sealed interface NetworkIpam {
    Set<String> TYPES = Set.of("spinneret", "spiderpool");

    /** Spinneret serves the interface; empty lists mean the network names no default pool. */
    record Spinneret(String type, List<String> ipv4, List<String> ipv6, Boolean cleanGateway) implements NetworkIpam {
    }

    /** Another IPAM (or none, or the config is kept on the nodes): the interface is not Spinneret's. */
    record Other(String what) implements NetworkIpam {
    }

    /**
     * @param config {@code spec.config}
     * @throws IllegalArgumentException saying what is wrong (the caller names the network)
     */
    static NetworkIpam of(String config) {
        if (config == null || config.isBlank()) {
            return new Other("spec.config is empty (Multus then reads the configuration from the nodes' files,"
                    + " which admission cannot see)");
        }
        JsonNode root;
        try {
            root = Parse.JSON.readTree(config);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("spec.config is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("spec.config must be a JSON object (a CNI plugin or conflist)");
        }
        List<String> paths = new ArrayList<>();
        List<JsonNode> ipams = new ArrayList<>();
        JsonNode plugins = root.get("plugins");
        if (plugins != null && !plugins.isNull()) {
            if (!plugins.isArray() || plugins.isEmpty()) {
                throw new IllegalArgumentException("spec.config: plugins must be a non-empty list of plugin objects");
            }
            for (int i = 0; i < plugins.size(); i++) {
                JsonNode p = plugins.get(i);
                if (!p.isObject()) {
                    throw new IllegalArgumentException("spec.config: plugins[" + i + "] is not an object");
                }
                if (p.has("ipam") && !p.get("ipam").isNull()) {
                    paths.add("plugins[" + i + "].ipam");
                    ipams.add(p.get("ipam"));
                }
            }
        } else if (root.has("ipam") && !root.get("ipam").isNull()) {
            paths.add("ipam");
            ipams.add(root.get("ipam"));
        }
        String firstOther = null;
        for (int i = 0; i < ipams.size(); i++) {
            JsonNode ipam = ipams.get(i);
            String path = paths.get(i);
            if (!ipam.isObject()) {
                throw new IllegalArgumentException("spec.config: " + path + " must be an object");
            }
            JsonNode type = ipam.get("type");
            String t = type != null && type.isTextual() ? type.asText() : null;
            if (t != null && TYPES.contains(t)) {
                return new Spinneret(t, Parse.pools(path + ".default_ipv4_ippool", ipam.get("default_ipv4_ippool")),
                        Parse.pools(path + ".default_ipv6_ippool", ipam.get("default_ipv6_ippool")),
                        Parse.bool(path + ".clean_gateway", ipam.get("clean_gateway")));
            }
            if (firstOther == null) {
                firstOther = "IPAM type " + (t == null ? "(none)" : "\"" + t + "\"") + " at " + path;
            }
        }
        return new Other(firstOther != null ? firstOther : "no plugin has an ipam section");
    }

    /** Field readers for the IPAM section; messages name the field. */
    final class Parse {
        static final ObjectMapper JSON = new ObjectMapper();

        private Parse() {
        }

        static List<String> pools(String path, JsonNode node) {
            if (node == null || node.isNull()) {
                return List.of();
            }
            if (!node.isArray()) {
                throw new IllegalArgumentException("spec.config: " + path + " must be a list of SpiderIPPool names,"
                        + " like [\"pool-a\",\"pool-b\"], not " + node);
            }
            List<String> out = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (JsonNode n : node) {
                if (!n.isTextual() || n.asText().isBlank()) {
                    throw new IllegalArgumentException("spec.config: " + path + " must be a list of SpiderIPPool"
                            + " names, like [\"pool-a\",\"pool-b\"], not " + node);
                }
                String name = n.asText().trim();
                if (!seen.add(name)) {
                    throw new IllegalArgumentException("spec.config: " + path + " names pool " + name + " twice");
                }
                if (Glob.isPattern(name)) {
                    try {
                        Glob.compile(name);
                    } catch (AnnotationException e) {
                        throw new IllegalArgumentException("spec.config: " + path + ": " + e.getMessage());
                    }
                }
                out.add(name);
            }
            return List.copyOf(out);
        }

        static Boolean bool(String path, JsonNode node) {
            if (node == null || node.isNull()) {
                return null;
            }
            if (!node.isBoolean()) {
                throw new IllegalArgumentException("spec.config: " + path + " must be true or false, not " + node);
            }
            return node.asBoolean();
        }
    }
}
