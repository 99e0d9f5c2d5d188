package dev.spinneret.ippool;

import dev.spinneret.admission.AdmissionDenied;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Set;

/** Label selectors on pools must be well-formed, as the API server would require of a Deployment's selector. */
public final class SelectorRules {
    private static final Set<String> OPERATORS = Set.of("In", "NotIn", "Exists", "DoesNotExist");

    private SelectorRules() {
    }

    public static void check(String path, LabelSelector selector, boolean emptyAllowed) {
        if (selector == null) {
            return;
        }
        boolean noLabels = selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty();
        List<LabelSelectorRequirement> exprs = selector.getMatchExpressions();
        boolean noExprs = exprs == null || exprs.isEmpty();
        if (noLabels && noExprs && !emptyAllowed) {
            throw AdmissionDenied.field(path, "an empty selector is invalid: it would match everything;"
                    + " remove the field or give matchLabels/matchExpressions");
        }
        if (exprs == null) {
            return;
        }
        for (int i = 0; i < exprs.size(); i++) {
            LabelSelectorRequirement r = exprs.get(i);
            String p = path + ".matchExpressions[" + i + "]";
            if (r.getKey() == null || r.getKey().isBlank()) {
                throw AdmissionDenied.field(p + ".key", "is required");
            }
            if (r.getOperator() == null || !OPERATORS.contains(r.getOperator())) {
                throw AdmissionDenied.field(p + ".operator", "\"" + r.getOperator()
                        + "\" is not one of In, NotIn, Exists, DoesNotExist");
            }
            boolean hasValues = r.getValues() != null && !r.getValues().isEmpty();
            boolean needsValues = r.getOperator().equals("In") || r.getOperator().equals("NotIn");
            if (needsValues && !hasValues) {
                throw AdmissionDenied.field(p + ".values", "must not be empty for operator " + r.getOperator());
            }
            if (!needsValues && hasValues) {
                throw AdmissionDenied.field(p + ".values", "must be empty for operator " + r.getOperator());
            }
        }
    }
}
