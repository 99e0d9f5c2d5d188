package dev.spinneret.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A StatefulSet's addresses are kept for the ordinals it still wants: {@code spec.ordinals.start} shifts them
 * (start 5, 3 replicas: web-5, web-6, web-7), and a scale-down gives up the highest ones.
 */
@Tag("webhook")
@EnableKubernetesMockClient(crud = true)
class OrdinalsStartTest {
    static KubernetesClient client;

    static StatefulSet sts(String name, Integer start, int replicas) {
        var b = new StatefulSetBuilder().withNewMetadata().withName(name).withNamespace("ns").endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName(name);
        if (start != null) {
            b = b.withNewOrdinals().withStart(start).endOrdinals();
        }
        return b.endSpec().build();
    }

    static List<String> wanted(ReservationHolders h, String sts, int upTo) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i <= upTo; i++) {
            if (h.ordinalStillWanted("ns", sts, sts + "-" + i)) {
                out.add(sts + "-" + i);
            }
        }
        return out;
    }

    @Test
    void theOrdinalsKeptFollowOrdinalsStartAndReplicas() {
        ReservationHolders h = new ReservationHolders();
        h.client = client;
        client.resource(sts("web", 5, 3)).create();
        client.resource(sts("db", null, 2)).create();
        assertEquals(List.of("web-5", "web-6", "web-7"), wanted(h, "web", 10));
        assertEquals(List.of("db-0", "db-1"), wanted(h, "db", 10));
        client.apps().statefulSets().inNamespace("ns").withName("web").edit(s -> {
            s.getSpec().setReplicas(1);
            return s;
        });
        assertEquals(List.of("web-5"), wanted(h, "web", 10));
        assertEquals(List.of(), wanted(h, "gone", 10), "no StatefulSet, no ordinal kept");
        assertEquals(false, h.ordinalStillWanted("ns", "web", "web-05"), "web-05 is no pod of web");
    }
}
