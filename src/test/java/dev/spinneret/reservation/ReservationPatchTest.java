package dev.spinneret.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The pod webhook's JSON Patch names only what it adds, and applies to pods with or without the maps. */
@Tag("pure")
class ReservationPatchTest {
    static final ObjectMapper M = new ObjectMapper();

    static JsonNode apply(ObjectNode pod) {
        ArrayNode patch = M.createArrayNode();
        PodReservationWebhook.addEntry(patch, pod.path("metadata"), "annotations", "ipam.spidernet.io/reserved-ips",
                "{\"id\":\"abc\"}");
        PodReservationWebhook.addEntry(patch, pod.path("metadata"), "labels", "ipam.spidernet.io/reservation-id",
                "abc");
        assertEquals(2, patch.size(), patch.toString());
        return JsonPatch.apply(patch, pod);
    }

    @Test
    void podWithoutAnnotationsOrLabelsGetsBothMaps() throws Exception {
        ObjectNode pod = (ObjectNode) M.readTree("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}");
        JsonNode out = apply(pod);
        assertEquals("{\"id\":\"abc\"}", out.at("/metadata/annotations/ipam.spidernet.io~1reserved-ips").asText());
        assertEquals("abc", out.at("/metadata/labels/ipam.spidernet.io~1reservation-id").asText());
        assertEquals(pod.get("spec"), out.get("spec"));
    }

    @Test
    void existingEntriesAreKeptAndKeysAreEscaped() throws Exception {
        ObjectNode pod = (ObjectNode) M.readTree("{\"metadata\":{\"name\":\"p\",\"annotations\":{\"a~b/c\":\"1\"},"
                + "\"labels\":{\"app\":\"x\",\"ipam.spidernet.io/reservation-id\":\"user-set\"}}}");
        JsonNode out = apply(pod);
        assertEquals("1", out.at("/metadata/annotations/a~0b~1c").asText());
        assertEquals("x", out.at("/metadata/labels/app").asText());
        assertEquals("abc", out.at("/metadata/labels/ipam.spidernet.io~1reservation-id").asText());
        assertEquals(2, out.at("/metadata/annotations").size());
    }

    @Test
    void aNullMapIsReplacedWhole() throws Exception {
        ObjectNode pod = (ObjectNode) M.readTree("{\"metadata\":{\"name\":\"p\",\"annotations\":null,\"labels\":null}}");
        JsonNode out = apply(pod);
        assertEquals("abc", out.at("/metadata/labels/ipam.spidernet.io~1reservation-id").asText());
    }
}
