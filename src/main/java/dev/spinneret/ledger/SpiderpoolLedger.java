package dev.spinneret.ledger;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A pool ledger as Spiderpool writes it into {@code SpiderIPPool.status.allocatedIPs}: a JSON object address →
 * {@code {"pod": "<namespace>/<name>", "podUid": "<uid>", ...}} (older releases add {@code "interface"}; other
 * fields are ignored), read strictly and turned into Spinneret's ledger.
 *
 * <p>Every record becomes an entry of the reservation {@link #reservationId(String) derived from its pod UID},
 * bound to the pod it names. The id is a function of the UID alone, so every pool, every replica and every retry
 * imports the same record to the same reservation, and the pod of that name gets it only when its UID is the one
 * recorded (a later pod of the same name has another UID, hence another id: the record is never handed to it).
 */
public record SpiderpoolLedger(AllocationLedger ledger, Map<String, String> holders, List<Entry> entries) {

    /** One record: the address, the pod it names and that pod's UID, and the reservation it is imported to. */
    public record Entry(IpAddress address, String namespace, String pod, String podUid, String reservationId) {
        public String holder() {
            return namespace + "/" + pod;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern POD = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern UID = Pattern.compile("[A-Za-z0-9][-A-Za-z0-9]{0,127}");

    /** Whether {@code allocatedIPs} is in Spiderpool's form (a JSON object), not Spinneret's. */
    public static boolean looksLike(String allocatedIPs) {
        return allocatedIPs != null && allocatedIPs.stripLeading().startsWith("{");
    }

    /** The reservation the records of pod UID {@code podUid} are imported to. */
    public static String reservationId(String podUid) {
        return IdDigest.of("spiderpool:" + podUid);
    }

    /**
     * Reads Spiderpool's JSON. Addresses may be in any textual form of {@code family} (they are written canonically
     * in Spinneret's ledger).
     *
     * @throws IllegalArgumentException naming the record and what is wrong with it (nothing is partly read)
     */
    public static SpiderpoolLedger parse(IpFamily family, String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid Spiderpool ledger: not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("invalid Spiderpool ledger: expected a JSON object address → record");
        }
        Map<IpAddress, String> ids = new TreeMap<>();
        Map<String, String> holders = new HashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = f.getKey();
            IpAddress a;
            try {
                a = IpAddress.parse(family, key);
            } catch (IllegalArgumentException e) {
                throw invalid(key, "not an IPv" + (family == IpFamily.V4 ? "4" : "6") + " address of this pool: "
                        + e.getMessage());
            }
            JsonNode r = f.getValue();
            if (!r.isObject()) {
                throw invalid(key, "the record must be a JSON object with \"pod\" and \"podUid\"");
            }
            String pod = text(r, "pod", key);
            String uid = text(r, "podUid", key);
            int slash = pod.indexOf('/');
            String ns = slash < 0 ? "" : pod.substring(0, slash);
            String name = slash < 0 ? "" : pod.substring(slash + 1);
            if (!NAMESPACE.matcher(ns).matches() || !POD.matcher(name).matches()) {
                throw invalid(key, "\"pod\": \"" + pod + "\" must be <namespace>/<pod name>");
            }
            if (!UID.matcher(uid).matches()) {
                throw invalid(key, "\"podUid\": \"" + uid + "\" is not a UID");
            }
            if (ids.containsKey(a)) {
                throw invalid(key, "address " + a + " is recorded twice (as written: two spellings of it)");
            }
            String id = reservationId(uid);
            String before = holders.putIfAbsent(id, pod);
            if (before != null && !before.equals(pod)) {
                throw invalid(key, "pod UID " + uid + " is recorded for pod " + before + " and for pod " + pod);
            }
            ids.put(a, id);
            entries.add(new Entry(a, ns, name, uid, id));
        }
        entries.sort((x, y) -> x.address().compareTo(y.address()));
        return new SpiderpoolLedger(AllocationLedger.of(family, ids), Collections.unmodifiableMap(holders),
                List.copyOf(entries));
    }

    private static String text(JsonNode record, String field, String key) {
        JsonNode v = record.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw invalid(key, "\"" + field + "\" is missing or not a non-empty string");
        }
        return v.asText();
    }

    private static IllegalArgumentException invalid(String key, String reason) {
        return new IllegalArgumentException("invalid Spiderpool ledger: record \"" + (key.length() > 60
                ? key.substring(0, 60) + "..." : key) + "\": " + reason);
    }
}
