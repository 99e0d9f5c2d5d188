package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ip.IpFamily;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class PoolSelectionTest {
    static PoolFacts pool(String name) {
        return new PoolFacts(name, IpFamily.V4, false, false, false, List.of(), null, null, List.of(), null);
    }

    static final PodFacts POD = new PodFacts("default", Map.of("app", "web"), Map.of("team", "a"), Map.of(), null,
            Map.of());

    static Map<String, PoolFacts> pools(PoolFacts... ps) {
        Map<String, PoolFacts> m = new HashMap<>();
        for (PoolFacts p : ps) {
            m.put(p.name(), p);
        }
        return m;
    }

    @Test
    void wildcardsExpandInNameOrderAtTheirPositionAndUserOrderIsKept() {
        var c = PoolSelection.candidates(List.of("zz", "web-*", "aa"), IpFamily.V4,
                pools(pool("aa"), pool("zz"), pool("web-2"), pool("web-1"), pool("other")), POD);
        assertEquals(List.of("zz", "web-1", "web-2", "aa"), c.pools());
    }

    @Test
    void globSyntax() {
        assertTrue(Glob.compile("p?-[ab]*").matches("p1-b-x"));
        assertFalse(Glob.compile("p?-[ab]*").matches("p1-c"));
        assertTrue(Glob.compile("p[!a]").matches("pb"));
        assertFalse(Glob.compile("p.x").matches("pax"));
    }

    @Test
    void everyFilterGivesAReason() {
        var disabled = new PoolFacts("disabled", IpFamily.V4, false, true, false, List.of(), null, null, List.of(), null);
        var deleting = new PoolFacts("deleting", IpFamily.V4, false, false, true, List.of(), null, null, List.of(), null);
        var v6 = new PoolFacts("v6", IpFamily.V6, false, false, false, List.of(), null, null, List.of(), null);
        var otherNs = new PoolFacts("other-ns", IpFamily.V4, false, false, false, List.of("kube-system"), null, null,
                List.of(), null);
        var nsAff = new PoolFacts("ns-aff", IpFamily.V4, false, false, false, List.of(),
                new Selector(Map.of("team", "b"), List.of()), null, List.of(), null);
        var podAff = new PoolFacts("pod-aff", IpFamily.V4, false, false, false, List.of(), null,
                new Selector(Map.of(), List.of(new Selector.Requirement("app", "In", List.of("db")))), List.of(), null);
        var node = new PoolFacts("node", IpFamily.V4, false, false, false, List.of(), null, null, List.of("n1"), null);
        var ok = new PoolFacts("ok", IpFamily.V4, false, false, false, List.of("default"),
                new Selector(Map.of("team", "b"), List.of()), new Selector(Map.of("app", "web"), List.of()),
                List.of(), null);
        var c = PoolSelection.candidates(List.of("disabled", "deleting", "v6", "other-ns", "ns-aff", "pod-aff", "node",
                "missing", "ok"), IpFamily.V4, pools(disabled, deleting, v6, otherNs, nsAff, podAff, node, ok), POD);
        assertEquals(List.of("ok"), c.pools(), "namespaceName overrides namespaceAffinity");
        String all = String.join("\n", c.rejected());
        for (String s : List.of("disabled: spec.disable", "deleting: it is being deleted", "v6: it is an IPv6",
                "other-ns: spec.namespaceName", "ns-aff: spec.namespaceAffinity", "pod-aff: spec.podAffinity",
                "node: it is restricted to some nodes", "missing: no such SpiderIPPool")) {
            assertTrue(all.contains(s), s + " in\n" + all);
        }
    }

    @Test
    void nodeRestrictedPoolsServePinnedPods() {
        var node = new PoolFacts("node", IpFamily.V4, false, false, false, List.of(), null, null, List.of(), null);
        var byName = new PoolFacts("by-name", IpFamily.V4, false, false, false, List.of(), null, null, List.of("n1"),
                null);
        var byLabel = new PoolFacts("by-label", IpFamily.V4, false, false, false, List.of(), null, null, List.of(),
                new Selector(Map.of("zone", "a"), List.of()));
        PodFacts pinned = new PodFacts("default", Map.of(), Map.of(), Map.of(), "n1", Map.of("zone", "a"));
        assertEquals(List.of("node", "by-name", "by-label"), PoolSelection.candidates(
                List.of("node", "by-name", "by-label"), IpFamily.V4, pools(node, byName, byLabel), pinned).pools());
        PodFacts elsewhere = new PodFacts("default", Map.of(), Map.of(), Map.of(), "n2", Map.of("zone", "b"));
        assertEquals(List.of("node"), PoolSelection.candidates(List.of("node", "by-name", "by-label"), IpFamily.V4,
                pools(node, byName, byLabel), elsewhere).pools());
    }
}
