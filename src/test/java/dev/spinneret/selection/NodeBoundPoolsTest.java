package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ip.IpFamily;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Which node-bound pools may serve a pod, and in which order, when the scheduler places the pod later (issue #25):
 * one table, four racks (a, b, a cordoned c, a tainted d).
 */
@Tag("pure")
class NodeBoundPoolsTest {
    static final List<NodeFacts> NODES = List.of(
            new NodeFacts("node-a", Map.of("rack", "a"), List.of(), false),
            new NodeFacts("node-b", Map.of("rack", "b"), List.of(), false),
            new NodeFacts("node-c", Map.of("rack", "c"), List.of(), true),
            new NodeFacts("node-d", Map.of("rack", "d"), List.of(new NodeFacts.Taint("dedicated", "db", "NoSchedule")),
                    false));

    static PoolFacts rack(String name, String rack) {
        return new PoolFacts(name, IpFamily.V4, false, false, false, List.of(), null, null, List.of(),
                new Selector(Map.of("rack", rack), List.of()));
    }

    static PoolFacts named(String name, String... nodes) {
        return new PoolFacts(name, IpFamily.V4, false, false, false, List.of(), null, null, List.of(nodes), null);
    }

    static final Map<String, PoolFacts> POOLS = new HashMap<>();
    static {
        for (PoolFacts p : List.of(rack("rack-a", "a"), rack("rack-b", "b"), rack("rack-c", "c"), rack("rack-d", "d"),
                named("only-b", "node-b"), named("ghost", "node-x"),
                new PoolFacts("any", IpFamily.V4, false, false, false, List.of(), null, null, List.of(), null))) {
            POOLS.put(p.name(), p);
        }
    }

    static NodeConstraints rules(Map<String, String> selector, List<NodeTerm> terms,
            NodeConstraints.Toleration... tolerations) {
        return new NodeConstraints(selector, terms, List.of(tolerations));
    }

    static final NodeConstraints FREE = NodeConstraints.NONE;

    static PodFacts open(NodeConstraints c) {
        return new PodFacts("default", Map.of(), Map.of(), Map.of(), NodeScope.open(() -> NODES, c));
    }

    static NodeTerm rackIn(String... racks) {
        return new NodeTerm(List.of(new Selector.Requirement("rack", "In", List.of(racks))), List.of());
    }

    static Arguments row(String what, PodFacts pod, List<String> names, Map<String, Long> free, String earlier,
            List<String> chosen, String... rejectedFragments) {
        return Arguments.of(what, pod, names, free, earlier, chosen, List.of(rejectedFragments));
    }

    static Stream<Arguments> table() {
        return Stream.of(
                row("equal free addresses: the written order", open(FREE), List.of("rack-a", "rack-b"),
                        Map.of("rack-a", 1L, "rack-b", 1L), null, List.of("rack-a", "rack-b")),
                row("the pool with the most free addresses first", open(FREE), List.of("rack-a", "rack-b"),
                        Map.of("rack-a", 0L, "rack-b", 5L), null, List.of("rack-b", "rack-a")),
                row("an exhausted rack goes last, so the pod goes to the other rack", open(FREE),
                        List.of("rack-a", "only-b"), Map.of("rack-a", 0L, "only-b", 1L), null,
                        List.of("only-b", "rack-a")),
                row("unrestricted pools keep their place; node-bound ones sorted where the first of them was",
                        open(FREE), List.of("any", "rack-a", "rack-b"), Map.of("rack-a", 1L, "rack-b", 9L), null,
                        List.of("any", "rack-b", "rack-a")),
                row("the pod's own nodeSelector contradicts a pool: that pool is left out, saying why",
                        open(rules(Map.of("rack", "b"), null)), List.of("rack-a", "rack-b"), Map.of(), null,
                        List.of("rack-b"), "rack-a: spec.nodeAffinity (rack=a): none of its nodes can take this pod"
                                + " (node-a: the pod's nodeSelector/node affinity excludes it)"),
                row("the pod's own required node affinity contradicts every pool: nothing left",
                        open(rules(Map.of(), List.of(rackIn("z")))), List.of("rack-a", "only-b"), Map.of(), null,
                        List.of(), "rack-a: spec.nodeAffinity (rack=a): none of its nodes",
                        "only-b: spec.nodeName [node-b]: none of its nodes can take this pod (node-b: the pod's"),
                row("a term of the pod's affinity that admits rack b is enough (terms are ORed)",
                        open(rules(Map.of(), List.of(rackIn("z"), rackIn("b")))), List.of("rack-a", "rack-b"),
                        Map.of(), null, List.of("rack-b"), "rack-a:"),
                row("a cordoned rack cannot take the pod", open(FREE), List.of("rack-c"), Map.of(), null, List.of(),
                        "rack-c: spec.nodeAffinity (rack=c): none of its nodes can take this pod (node-c: cordoned"
                                + " (spec.unschedulable))"),
                row("a taint the pod does not tolerate", open(FREE), List.of("rack-d"), Map.of(), null, List.of(),
                        "node-d: taint dedicated=db:NoSchedule not tolerated"),
                row("the pod tolerates the taint", open(rules(Map.of(), null,
                        new NodeConstraints.Toleration("dedicated", "Equal", "db", "NoSchedule"))),
                        List.of("rack-d"), Map.of(), null, List.of("rack-d")),
                row("a toleration of another value does not help", open(rules(Map.of(), null,
                        new NodeConstraints.Toleration("dedicated", "Equal", "web", ""))),
                        List.of("rack-d"), Map.of(), null, List.of(), "not tolerated"),
                row("a StatefulSet pod keeps its earlier pool while its rack is cordoned", open(FREE),
                        List.of("rack-c", "rack-a"), Map.of("rack-a", 5L), "rack-c", List.of("rack-a", "rack-c")),
                row("nodeName naming no node of the cluster", open(FREE), List.of("ghost"), Map.of(), null, List.of(),
                        "ghost: spec.nodeName [node-x] matches no node of the cluster"),
                row("a pod pinned to node-b: only the pool of node-b, in the written order",
                        new PodFacts("default", Map.of(), Map.of(), Map.of(), "node-b", Map.of("rack", "b")),
                        List.of("rack-a", "any", "rack-b"), Map.of("rack-b", 0L, "rack-a", 9L), null,
                        List.of("any", "rack-b"), "rack-a: spec.nodeAffinity (rack=a) does not match node node-b"),
                row("a pod pinned by spec.nodeName to a node the pool does not list",
                        new PodFacts("default", Map.of(), Map.of(), Map.of(), "node-a", Map.of("rack", "a")),
                        List.of("only-b"), Map.of(), null, List.of(),
                        "only-b: spec.nodeName [node-b] does not include node node-a"),
                row("a pod that exists already, not yet scheduled (reserved after creation): no node-bound pool",
                        new PodFacts("default", Map.of(), Map.of(), Map.of(), NodeScope.unknown()),
                        List.of("rack-a", "any"), Map.of(), null, List.of("any"),
                        "rack-a: it is restricted to some nodes, and this pod's node is not known"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void choice(String what, PodFacts pod, List<String> names, Map<String, Long> free, String earlier,
            List<String> chosen, List<String> rejectedFragments) {
        Candidates c = PoolSelection.candidates(names, IpFamily.V4, POOLS, pod, n -> free.getOrDefault(n, 0L),
                earlier);
        assertEquals(chosen, c.pools(), what + "; rejected: " + c.rejected());
        String all = String.join("\n", c.rejected());
        for (String f : rejectedFragments) {
            assertTrue(all.contains(f), "'" + f + "' in\n" + all);
        }
        if (rejectedFragments.isEmpty()) {
            assertEquals(List.of(), c.rejected());
        }
    }

    @Test
    void freeAddressesAreAskedOnlyForNodeBoundCandidatesOfAPodPlacedLater() {
        List<String> asked = new java.util.ArrayList<>();
        PoolSelection.candidates(List.of("any", "rack-a", "rack-b"), IpFamily.V4, POOLS, open(FREE), n -> {
            asked.add(n);
            return 1;
        }, null);
        assertEquals(List.of("rack-a", "rack-b"), asked);
        asked.clear();
        PoolSelection.candidates(List.of("rack-a", "rack-b"), IpFamily.V4, POOLS,
                new PodFacts("default", Map.of(), Map.of(), Map.of(), "node-a", Map.of("rack", "a")), n -> {
                    asked.add(n);
                    return 1;
                }, null);
        assertEquals(List.of(), asked, "a pinned pod: nothing to order");
    }

    @Test
    void aPoolChosenForOneInterfaceNarrowsTheNodesForTheNext() {
        PodFacts pod = open(FREE);
        PodFacts after = pod.withNodes(pod.nodes().narrowedTo(POOLS.get("rack-a")));
        Candidates c = PoolSelection.candidates(List.of("only-b", "rack-a", "any"), IpFamily.V4, POOLS, after);
        assertEquals(List.of("rack-a", "any"), c.pools());
        assertTrue(c.rejected().get(0).contains("node-b: not a node of SpiderIPPool rack-a, chosen for this pod"),
                c.rejected().toString());
        // an unrestricted pool does not narrow anything
        assertEquals(pod.nodes(), pod.nodes().narrowedTo(POOLS.get("any")));
    }

    @Test
    void theNodesAreListedOnlyWhenANodeBoundPoolIsConsidered() {
        int[] listed = { 0 };
        PodFacts pod = new PodFacts("default", Map.of(), Map.of(), Map.of(), NodeScope.open(() -> {
            listed[0]++;
            return NODES;
        }, FREE));
        PoolSelection.candidates(List.of("any"), IpFamily.V4, POOLS, pod);
        assertEquals(0, listed[0]);
        PoolSelection.candidates(List.of("rack-a", "rack-b"), IpFamily.V4, POOLS, pod);
        assertEquals(1, listed[0], "once per pod");
    }

    // ---- the node affinity the pod gets

    static Selector.Requirement name(String n) {
        return new Selector.Requirement(NodeTerm.NAME_FIELD, "In", List.of(n));
    }

    static Selector.Requirement rackReq(String r) {
        return new Selector.Requirement("rack", "In", List.of(r));
    }

    @Test
    void aNodeAffinityPoolBecomesMatchExpressionsOnEveryTermOfThePod() {
        assertEquals(List.of(new NodeTerm(List.of(rackReq("a")), List.of())),
                NodePlacement.required(null, List.of(POOLS.get("rack-a"))));
        NodeTerm zone = new NodeTerm(List.of(new Selector.Requirement("zone", "In", List.of("x"))), List.of());
        NodeTerm gpu = new NodeTerm(List.of(new Selector.Requirement("gpu", "Exists", List.of())), List.of());
        assertEquals(List.of(
                new NodeTerm(List.of(zone.labels().get(0), rackReq("a")), List.of()),
                new NodeTerm(List.of(gpu.labels().get(0), rackReq("a")), List.of())),
                NodePlacement.required(List.of(zone, gpu), List.of(POOLS.get("rack-a"), POOLS.get("any"))));
    }

    @Test
    void nodeNamePoolsBecomeOneTermPerNameAndIntersect() {
        assertEquals(List.of(new NodeTerm(List.of(), List.of(name("n1"))), new NodeTerm(List.of(), List.of(name("n2")))),
                NodePlacement.required(null, List.of(named("p", "n1", "n2"))));
        assertEquals(List.of(new NodeTerm(List.of(rackReq("a")), List.of(name("n2")))),
                NodePlacement.required(null, List.of(named("p", "n1", "n2"), named("q", "n3", "n2"),
                        POOLS.get("rack-a"))));
    }

    @Test
    void onlyNarrowsNothingWithoutANodeBoundPoolAndAnEmptyTermStaysEmpty() {
        assertNull(NodePlacement.required(List.of(rackIn("z")), List.of(POOLS.get("any"))));
        NodeTerm empty = new NodeTerm(List.of(), List.of());
        assertEquals(List.of(empty, new NodeTerm(List.of(rackReq("z"), rackReq("a")), List.of())),
                NodePlacement.required(List.of(empty, rackIn("z")), List.of(POOLS.get("rack-a"))));
        assertTrue(!empty.matches(NODES.get(0)), "an empty term matches no node");
    }

    @Test
    void nodeSelectorOperators() {
        NodeFacts n = new NodeFacts("n1", Map.of("cpus", "8", "rack", "a"), List.of(), false);
        assertTrue(new NodeTerm(List.of(new Selector.Requirement("cpus", "Gt", List.of("4"))), List.of()).matches(n));
        assertTrue(!new NodeTerm(List.of(new Selector.Requirement("cpus", "Lt", List.of("4"))), List.of()).matches(n));
        assertTrue(new NodeTerm(List.of(new Selector.Requirement("rack", "NotIn", List.of("b"))),
                List.of(name("n1"))).matches(n));
        assertTrue(!new NodeTerm(List.of(), List.of(name("n2"))).matches(n));
        assertTrue(new NodeConstraints.Toleration("", "Exists", null, "").tolerates(
                new NodeFacts.Taint("any", "x", "NoExecute")), "an empty key with Exists tolerates every taint");
        assertTrue(!new NodeConstraints.Toleration("k", "Exists", null, "NoExecute").tolerates(
                new NodeFacts.Taint("k", "x", "NoSchedule")), "the effect must match");
        assertNull(FREE.whyRepelled(new NodeFacts("soft", Map.of(),
                List.of(new NodeFacts.Taint("k", "", "PreferNoSchedule")), false)), "PreferNoSchedule only prefers");
    }
}
