package dev.spinneret.selection;

import java.util.List;
import java.util.Map;

/** A label selector as plain values: matchLabels AND every requirement. */
public record Selector(Map<String, String> matchLabels, List<Requirement> requirements) {

    public record Requirement(String key, String operator, List<String> values) {
        boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (operator) {
                case "In" -> v != null && values.contains(v);
                case "NotIn" -> v == null || !values.contains(v);
                case "Exists" -> v != null;
                case "DoesNotExist" -> v == null;
                default -> false;
            };
        }
    }

    public boolean matches(Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        for (var e : matchLabels.entrySet()) {
            if (!e.getValue().equals(l.get(e.getKey()))) {
                return false;
            }
        }
        for (Requirement r : requirements) {
            if (!r.matches(l)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        matchLabels.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ",").append(k).append('=').append(v));
        for (Requirement r : requirements) {
            sb.append(sb.isEmpty() ? "" : ",").append(r.key()).append(' ').append(r.operator())
                    .append(r.values().isEmpty() ? "" : " " + r.values());
        }
        return sb.toString();
    }
}
