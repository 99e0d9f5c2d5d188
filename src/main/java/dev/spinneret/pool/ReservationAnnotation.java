package dev.spinneret.pool;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.selection.IpamAnnotations;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pod annotation {@code ipam.spidernet.io/reserved-ips}: which addresses of which pools a pod's reservation holds,
 * per interface. Written by the pod webhook and the late-reservation path, read by the garbage collector and the
 * webhook's reinvocation check here, and by the CNI plugin ({@code src/main/cni/reservation}); both sides' tests read
 * the contract fixtures in {@code src/test/resources/contract/reserved-ips.json} (docs/cni.md has the contract).
 * A pod's annotation is a claim only: the pool's ledger says whose an address is.
 *
 * @param id the reservation id (also the pod's label {@code ipam.spidernet.io/reservation-id})
 * @param owner the pod's top controller, for people reading it (absent for a pod without one)
 * @param interfaces one entry per interface Spinneret serves
 * @param poolUIDs pool name → UID of the pool the reservation was made in (absent in annotations of earlier versions)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "owner", "interfaces", "poolUIDs"})
public record ReservationAnnotation(String id, OwnerRef owner, List<IPAllocationDetail> interfaces,
        Map<String, String> poolUIDs) {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The controller a reservation was made for, as the annotation names it. */
    @JsonPropertyOrder({"kind", "name"})
    public record OwnerRef(String kind, String name) {
        public static OwnerRef of(Owner owner) {
            return owner == null ? null : new OwnerRef(owner.kind(), owner.name());
        }
    }

    /**
     * Reads an annotation value. Lenient like every reader of a claim: fields it does not know are ignored, absent
     * ones are null.
     *
     * @throws IllegalArgumentException when it is not such a JSON object
     */
    public static ReservationAnnotation parse(String json) {
        try {
            ReservationAnnotation a = JSON.readValue(json, ReservationAnnotation.class);
            if (a == null) {
                throw new IllegalArgumentException("null is no " + IpamAnnotations.RESERVED_IPS + " annotation");
            }
            return a;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable " + IpamAnnotations.RESERVED_IPS + " annotation: " + e.getOriginalMessage(), e);
        }
    }

    /** The annotation value, as written into the pod (compact JSON, fields in the order above). */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the " + IpamAnnotations.RESERVED_IPS + " annotation", e);
        }
    }

    /** The interfaces, none when absent. */
    @JsonIgnore
    public List<IPAllocationDetail> interfacesOrNone() {
        return interfaces == null ? List.of() : interfaces;
    }

    /** Every pool an interface's address is said to come from. */
    @JsonIgnore
    public Set<String> pools() {
        Set<String> pools = new LinkedHashSet<>();
        for (IPAllocationDetail i : interfacesOrNone()) {
            if (i == null) {
                continue;
            }
            if (i.ipv4Pool != null) {
                pools.add(i.ipv4Pool);
            }
            if (i.ipv6Pool != null) {
                pools.add(i.ipv6Pool);
            }
        }
        return pools;
    }
}
