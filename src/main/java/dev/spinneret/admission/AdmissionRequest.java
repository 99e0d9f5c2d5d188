package dev.spinneret.admission;

import com.fasterxml.jackson.databind.JsonNode;

/** The parts of an {@code admission.k8s.io/v1} AdmissionReview request that handlers use. */
public record AdmissionRequest(String uid, String kind, String operation, String name, String namespace,
        boolean dryRun, JsonNode object, JsonNode oldObject, String userName) {

    public boolean isCreate() {
        return "CREATE".equals(operation);
    }

    public boolean isUpdate() {
        return "UPDATE".equals(operation);
    }

    public boolean isDelete() {
        return "DELETE".equals(operation);
    }
}
