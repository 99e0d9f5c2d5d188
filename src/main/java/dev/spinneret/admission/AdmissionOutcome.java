package dev.spinneret.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;

/**
 * What a handler decided: allowed, optionally with a change to the object — either the mutated object (diffed into
 * a JSON Patch against the request's object) or the JSON Patch itself, for handlers that know exactly which fields
 * they add and should not pay for copying and diffing the whole object — and warnings.
 */
public record AdmissionOutcome(boolean allowed, JsonNode mutated, ArrayNode patch, List<String> warnings, int code,
        String reason, String message) {

    public static AdmissionOutcome allow() {
        return new AdmissionOutcome(true, null, null, List.of(), 200, null, null);
    }

    public static AdmissionOutcome allowWarning(List<String> warnings) {
        return new AdmissionOutcome(true, null, null, List.copyOf(warnings), 200, null, null);
    }

    public static AdmissionOutcome mutate(JsonNode mutated) {
        return new AdmissionOutcome(true, mutated, null, List.of(), 200, null, null);
    }

    /** Allowed with these JSON Patch (RFC 6902) operations, sent as they are. */
    public static AdmissionOutcome patch(ArrayNode operations) {
        return new AdmissionOutcome(true, null, operations, List.of(), 200, null, null);
    }

    public static AdmissionOutcome deny(AdmissionDenied denied) {
        return new AdmissionOutcome(false, null, null, List.of(), denied.code(), denied.reason(), denied.getMessage());
    }
}
