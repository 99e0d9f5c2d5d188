package dev.spinneret.reservation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.selection.NodeTerm;
import dev.spinneret.selection.Selector;
import java.util.List;

/**
 * The JSON Patch operation that sets a pod's required node affinity to the terms {@link
 * dev.spinneret.selection.NodePlacement} computed: one {@code add} at the deepest existing parent of
 * {@code spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution} (an {@code add} on an existing
 * member replaces it; the other fields of {@code affinity} and {@code nodeAffinity}, such as pod anti-affinity and
 * preferred terms, stay as they are).
 */
final class NodeAffinityPatch {
    private static final String REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution";

    private NodeAffinityPatch() {
    }

    static void add(ArrayNode patch, JsonNode podSpec, List<NodeTerm> terms) {
        ObjectNode required = JsonNodeFactory.instance.objectNode();
        ArrayNode out = required.putArray("nodeSelectorTerms");
        for (NodeTerm t : terms) {
            ObjectNode term = out.addObject();
            if (!t.labels().isEmpty()) {
                requirements(term.putArray("matchExpressions"), t.labels());
            }
            if (!t.fields().isEmpty()) {
                requirements(term.putArray("matchFields"), t.fields());
            }
        }
        JsonNode affinity = podSpec == null ? null : podSpec.get("affinity");
        ObjectNode op = patch.addObject().put("op", "add");
        if (affinity == null || !affinity.isObject()) {
            op.put("path", "/spec/affinity");
            op.putObject("value").putObject("nodeAffinity").set(REQUIRED, required);
        } else if (!affinity.path("nodeAffinity").isObject()) {
            op.put("path", "/spec/affinity/nodeAffinity");
            op.putObject("value").set(REQUIRED, required);
        } else {
            op.put("path", "/spec/affinity/nodeAffinity/" + REQUIRED);
            op.set("value", required);
        }
    }

    private static void requirements(ArrayNode into, List<Selector.Requirement> reqs) {
        for (Selector.Requirement r : reqs) {
            ObjectNode o = into.addObject().put("key", r.key()).put("operator", r.operator());
            if (!r.values().isEmpty()) {
                ArrayNode v = o.putArray("values");
                r.values().forEach(v::add);
            }
        }
    }
}
