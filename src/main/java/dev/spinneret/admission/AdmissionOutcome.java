package dev.spinneret.admission;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** What a handler decided: allowed, optionally with the mutated object (diffed into a JSON Patch) and warnings. */
public record AdmissionOutcome(boolean allowed, JsonNode mutated, List<String> warnings, int code, String reason,
        String message) {

    public static AdmissionOutcome allow() {
        return new AdmissionOutcome(true, null, List.of(), 200, null, null);
    }

    public static AdmissionOutcome allowWarning(List<String> warnings) {
        return new AdmissionOutcome(true, null, List.copyOf(warnings), 200, null, null);
    }

    public static AdmissionOutcome mutate(JsonNode mutated) {
        return new AdmissionOutcome(true, mutated, List.of(), 200, null, null);
    }

    public static AdmissionOutcome deny(AdmissionDenied denied) {
        return new AdmissionOutcome(false, null, List.of(), denied.code(), denied.reason(), denied.getMessage());
    }
}
