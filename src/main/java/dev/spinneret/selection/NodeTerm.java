package dev.spinneret.selection;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One NodeSelectorTerm of a required node affinity: requirements on the node's labels ({@code matchExpressions})
 * and on its fields ({@code matchFields}; only {@code metadata.name} exists), all ANDed. A term with no requirement
 * matches no node (as in Kubernetes).
 */
public record NodeTerm(List<Selector.Requirement> labels, List<Selector.Requirement> fields) {
    public static final String NAME_FIELD = "metadata.name";

    public boolean isEmpty() {
        return labels.isEmpty() && fields.isEmpty();
    }

    public boolean matches(NodeFacts n) {
        if (isEmpty()) {
            return false;
        }
        for (Selector.Requirement r : labels) {
            if (!matches(r, n.labels())) {
                return false;
            }
        }
        for (Selector.Requirement r : fields) {
            if (!matches(r, NAME_FIELD.equals(r.key()) ? Map.of(NAME_FIELD, n.name()) : Map.of())) {
                return false;
            }
        }
        return true;
    }

    /** This term with more requirements ANDed to it. */
    NodeTerm and(List<Selector.Requirement> moreLabels, List<Selector.Requirement> moreFields) {
        List<Selector.Requirement> l = new ArrayList<>(labels);
        l.addAll(moreLabels);
        List<Selector.Requirement> f = new ArrayList<>(fields);
        f.addAll(moreFields);
        return new NodeTerm(List.copyOf(l), List.copyOf(f));
    }

    /** A node selector requirement: the label selector operators plus Gt and Lt (integer comparison). */
    static boolean matches(Selector.Requirement r, Map<String, String> values) {
        String v = values.get(r.key());
        return switch (r.operator()) {
            case "Gt", "Lt" -> {
                if (v == null || r.values().size() != 1) {
                    yield false;
                }
                try {
                    long have = Long.parseLong(v);
                    long bound = Long.parseLong(r.values().get(0));
                    yield "Gt".equals(r.operator()) ? have > bound : have < bound;
                } catch (NumberFormatException e) {
                    yield false;
                }
            }
            default -> r.matches(values);
        };
    }
}
