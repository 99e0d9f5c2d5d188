package dev.spinneret.gc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ledger.SpiderpoolLedger;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An address Spiderpool gave a pod (imported to the reservation of the pod's UID) stays held while that pod lives,
 * even when the pod has come to carry another reservation: Spiderpool set the address up on its interface, so
 * releasing it would hand a live pod's address to the next one. A reservation id the pod merely names, or the
 * Spiderpool reservation of another UID, does not keep anything.
 */
@Tag("webhook")
@EnableKubernetesMockClient(crud = true)
class SpiderpoolHeldAddressTest {
    static KubernetesClient client;

    @Test
    void spiderpoolsAddressOfAPodIsHeldWhateverReservationThePodCarries() {
        ReservationHolders h = new ReservationHolders();
        h.client = client;
        Pod p = client.resource(new PodBuilder().withNewMetadata().withName("web").withNamespace("ns")
                .withLabels(Map.of(IpamAnnotations.RESERVATION_LABEL, "laterres0001")).endMetadata().withNewSpec()
                .addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build()).create();
        String imported = SpiderpoolLedger.reservationId(p.getMetadata().getUid());
        assertTrue(h.heldFresh(imported, "ns/web"), "Spiderpool's address of the live pod released");
        assertTrue(h.heldFresh("laterres0001", "ns/web"), "the reservation it carries");
        // controls: neither another pod's Spiderpool reservation nor an arbitrary id is held by this pod
        assertFalse(h.heldFresh(SpiderpoolLedger.reservationId("00000000-0000-4000-8000-00000000dead"), "ns/web"));
        assertFalse(h.heldFresh("otherres0001", "ns/web"));
        client.resource(p).delete();
        assertFalse(h.heldFresh(imported, "ns/web"), "held after the pod was deleted");
    }
}
