package dev.spinneret.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.selection.InterfaceRequest;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("pure")
class UnseenPoolsTest {
    private static InterfaceRequest eth0(List<String> v4, List<String> v6) {
        return new InterfaceRequest("eth0", v4, v6, null, "annotation ipam.spidernet.io/ippool");
    }

    @Test
    void onlyExplicitWellFormedNamesTheCacheLacksAreRead() {
        var requests = List.of(eth0(List.of("seen-v4", "new-v4", "web-*", "Bad_Name", "new-v4"), List.of("new-v6")),
                new InterfaceRequest("net1", List.of("new-net1"), List.of(), null, "annotation ipam.spidernet.io/ippools"));
        assertEquals(List.of("new-v4", "new-v6", "new-net1"),
                List.copyOf(UnseenPools.named(requests, Set.of("seen-v4"))));
    }

    @Test
    void nothingIsReadWhenTheCacheHasEveryName() {
        List<String> asked = new ArrayList<>();
        var read = UnseenPools.read(List.of(eth0(List.of("a", "b"), List.of())), Set.of("a", "b"), n -> {
            asked.add(n);
            return null;
        });
        assertEquals(List.of(), read);
        assertEquals(List.of(), asked);
    }

    @Test
    void aPoolTheApiServerHasIsReturnedAndAnAbsentOneIsLeftToBeRefused() {
        SpiderIPPool fresh = new SpiderIPPool();
        fresh.setMetadata(new ObjectMetaBuilder().withName("just-applied").build());
        List<String> asked = new ArrayList<>();
        var read = UnseenPools.read(List.of(eth0(List.of("just-applied", "never-was"), List.of())), Set.of(), n -> {
            asked.add(n);
            return n.equals("just-applied") ? fresh : null;
        });
        assertEquals(List.of(fresh), read);
        assertEquals(List.of("just-applied", "never-was"), asked);
    }
}
