package dev.spinneret.admission;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonDiff;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Reads AdmissionReview requests (refusing malformed ones with a message) and writes responses. */
public final class AdmissionCodec {
    /**
     * The API server never sends more than ~3 MiB (its request limit; etcd stores objects up to 1.5 MiB), so anything
     * bigger is not a real AdmissionReview. {@code quarkus.http.limits.max-body-size} (4M) refuses such bodies before
     * they are buffered; this is the same bound for a server configured with a larger one.
     */
    public static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
    /** Real objects nest ~20 deep (managedFields included); a review nested deeper is refused before it is built. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** No string of a stored object exceeds etcd's 1.5 MiB request limit. */
    public static final int MAX_STRING_LENGTH = 1536 * 1024;
    /**
     * JSON tokens per review: a large real pod review (object, oldObject and managedFields) has a few ten thousand;
     * the bound keeps the parsed tree of a forged one (e.g. 3 MiB of empty objects, ~80 MB of nodes, which exhausted
     * the chart's 96 MiB heap) to ~20 MB.
     */
    public static final long MAX_TOKENS = 250_000;

    private final ObjectMapper mapper;

    public AdmissionCodec(ObjectMapper mapper) {
        this.mapper = constrained(mapper);
    }

    /**
     * A copy of {@code mapper} whose parser refuses reviews beyond the limits above with a
     * {@link StreamConstraintsException} (a denial, not a 500). Only admission bodies are read with it: the
     * Kubernetes client's lists are legitimately much larger.
     */
    static ObjectMapper constrained(ObjectMapper mapper) {
        ObjectMapper copy = mapper.copy();
        copy.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxStringLength(MAX_STRING_LENGTH)
                .maxTokenCount(MAX_TOKENS)
                .maxDocumentLength(MAX_BODY_BYTES)
                .build());
        return copy;
    }

    /** A body that is not an AdmissionReview: the reason, and the request uid if one could be read. */
    public static final class MalformedReview extends Exception {
        final String uid;
        final String apiVersion;

        MalformedReview(String message, String uid, String apiVersion) {
            super(message, null, false, false);
            this.uid = uid;
            this.apiVersion = apiVersion;
        }
    }

    public record Parsed(String apiVersion, AdmissionRequest request) {
    }

    public Parsed parse(byte[] body) throws MalformedReview {
        if (body == null || body.length == 0) {
            throw new MalformedReview("empty request body: expected an admission.k8s.io/v1 AdmissionReview", "", null);
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new MalformedReview("request body of " + body.length + " bytes exceeds the " + MAX_BODY_BYTES
                    + "-byte limit for an AdmissionReview", "", null);
        }
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (StreamConstraintsException e) {
            throw new MalformedReview("request body exceeds a limit for an AdmissionReview (nesting depth "
                    + MAX_NESTING_DEPTH + ", strings of " + MAX_STRING_LENGTH + " characters, " + MAX_TOKENS
                    + " JSON tokens, " + MAX_BODY_BYTES + " bytes): " + firstLine(e.getOriginalMessage()), "", null);
        } catch (IOException e) {
            throw new MalformedReview("request body is not valid JSON: " + firstLine(e.getMessage()), "", null);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedReview("request body is not a JSON object: expected an AdmissionReview", "", null);
        }
        String apiVersion = text(root, "apiVersion");
        JsonNode req = root.get("request");
        String uid = req != null ? text(req, "uid") : null;
        if (!"AdmissionReview".equals(text(root, "kind"))) {
            throw new MalformedReview("kind must be AdmissionReview, got " + quote(text(root, "kind")),
                    uid == null ? "" : uid, apiVersion);
        }
        if (apiVersion == null || !apiVersion.startsWith("admission.k8s.io/")) {
            throw new MalformedReview("apiVersion must be admission.k8s.io/v1, got " + quote(apiVersion),
                    uid == null ? "" : uid, null);
        }
        if (req == null || !req.isObject()) {
            throw new MalformedReview("AdmissionReview has no request", "", apiVersion);
        }
        if (uid == null || uid.isBlank()) {
            throw new MalformedReview("request.uid is missing", "", apiVersion);
        }
        String operation = text(req, "operation");
        if (operation == null) {
            throw new MalformedReview("request.operation is missing", uid, apiVersion);
        }
        JsonNode kindNode = req.get("kind");
        String kind = kindNode != null ? text(kindNode, "kind") : null;
        JsonNode object = nullToNull(req.get("object"));
        JsonNode oldObject = nullToNull(req.get("oldObject"));
        if (object == null && !"DELETE".equals(operation)) {
            throw new MalformedReview("request.object is missing for " + operation, uid, apiVersion);
        }
        if (object != null && !object.isObject()) {
            throw new MalformedReview("request.object is not a JSON object", uid, apiVersion);
        }
        JsonNode userInfo = req.get("userInfo");
        return new Parsed(apiVersion, new AdmissionRequest(uid, kind, operation, text(req, "name"),
                text(req, "namespace"), req.path("dryRun").asBoolean(false), object, oldObject,
                userInfo != null ? text(userInfo, "username") : null));
    }

    public ObjectNode response(String apiVersion, String uid, AdmissionOutcome outcome, JsonNode original) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("apiVersion", apiVersion == null ? "admission.k8s.io/v1" : apiVersion);
        root.put("kind", "AdmissionReview");
        ObjectNode resp = root.putObject("response");
        resp.put("uid", uid == null ? "" : uid);
        resp.put("allowed", outcome.allowed());
        if (!outcome.allowed()) {
            ObjectNode status = resp.putObject("status");
            status.put("code", outcome.code());
            if (outcome.reason() != null) {
                status.put("reason", outcome.reason());
            }
            status.put("message", outcome.message());
        }
        JsonNode patch = null;
        if (outcome.allowed() && outcome.patch() != null) {
            patch = outcome.patch();
        } else if (outcome.allowed() && outcome.mutated() != null && original != null) {
            patch = JsonDiff.asJson(original, outcome.mutated());
        }
        if (patch != null && patch.size() > 0) {
            resp.put("patchType", "JSONPatch");
            resp.put("patch", Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
        }
        if (!outcome.warnings().isEmpty()) {
            ArrayNode w = resp.putArray("warnings");
            outcome.warnings().forEach(w::add);
        }
        return root;
    }

    public ObjectNode malformed(MalformedReview e) {
        return response(e.apiVersion, e.uid, AdmissionOutcome.deny(new AdmissionDenied(400, "BadRequest",
                e.getMessage())), null);
    }

    private static JsonNode nullToNull(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : n;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String quote(String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
