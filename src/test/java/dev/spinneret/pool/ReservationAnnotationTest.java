package dev.spinneret.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The typed {@code ipam.spidernet.io/reserved-ips} annotation against the contract fixtures the Go plugin's tests
 * read too (src/test/resources/contract/reserved-ips.json): every valid annotation reads and writes back unchanged.
 */
@Tag("pure")
class ReservationAnnotationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode fixtures() throws Exception {
        return JSON.readTree(Files.readString(Path.of("src/test/resources/contract/reserved-ips.json")));
    }

    @Test
    void everyValidFixtureReadsAndWritesBackUnchanged() throws Exception {
        int n = 0;
        for (JsonNode c : fixtures().get("valid")) {
            JsonNode annotation = c.get("annotation");
            ReservationAnnotation a = ReservationAnnotation.parse(JSON.writeValueAsString(annotation));
            assertEquals(annotation, JSON.readTree(a.toJson()), c.get("name").asText());
            assertEquals(annotation.get("id").asText(), a.id());
            n++;
        }
        assertTrue(n >= 2, "the fixture file has its valid cases");
    }

    @Test
    void poolsAreEveryPoolAnInterfaceNames() throws Exception {
        for (JsonNode c : fixtures().get("valid")) {
            if (c.get("name").asText().equals("dual-stack-two-nics")) {
                ReservationAnnotation a = ReservationAnnotation.parse(JSON.writeValueAsString(c.get("annotation")));
                assertEquals(Set.of("nginx-v4-ippool", "v6-pool", "macvlan-ens224"), a.pools());
                assertEquals("Deployment", a.owner().kind());
                assertEquals(3, a.poolUIDs().size());
                return;
            }
        }
        throw new AssertionError("no fixture dual-stack-two-nics");
    }

    @Test
    void anEarlierVersionsAnnotationHasNoPoolUidsAndUnknownFieldsAreIgnored() {
        ReservationAnnotation a = ReservationAnnotation.parse("{\"id\":\"r1\",\"future\":1,\"interfaces\":"
                + "[{\"interface\":\"eth0\",\"ipv4\":\"10.1.0.7/24\",\"ipv4Pool\":\"p\"}]}");
        assertNull(a.poolUIDs());
        assertNull(a.owner());
        assertEquals(Set.of("p"), a.pools());
        // the field order the service has always written (README, "Looking after pools": "interface" comes last)
        assertEquals("{\"id\":\"r1\",\"interfaces\":[{\"ipv4\":\"10.1.0.7/24\",\"ipv4Pool\":\"p\","
                + "\"interface\":\"eth0\"}]}", a.toJson());
    }

    @Test
    void anAnnotationWithoutInterfacesNamesNoPool() {
        ReservationAnnotation a = ReservationAnnotation.parse("{\"id\":\"r1\"}");
        assertEquals(List.of(), a.interfacesOrNone());
        assertEquals(Set.of(), a.pools());
    }

    @Test
    void whatIsNoJsonObjectIsRefusedWithTheAnnotationsName() {
        for (String bad : List.of("", "not json", "[1,2]", "null", "{\"interfaces\":{}}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ReservationAnnotation.parse(bad), bad);
            assertTrue(e.getMessage().contains("ipam.spidernet.io/reserved-ips"), e.getMessage());
        }
    }
}
