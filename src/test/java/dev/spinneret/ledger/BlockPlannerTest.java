package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ledger.BlockPlanner.Op;
import dev.spinneret.ledger.BlockPlanner.Outcome;
import dev.spinneret.ledger.BlockPlanner.Outcome.Exhausted;
import dev.spinneret.ledger.BlockPlanner.Outcome.Released;
import dev.spinneret.ledger.BlockPlanner.Outcome.Reserved;
import dev.spinneret.ledger.BlockPlanner.Outcome.Unavailable;
import dev.spinneret.ledger.BlockPlanner.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

/**
 * The planner against blocks held in memory, no API server: the way Calico tests its {@code allocationBlock}
 * ({@code ipam_block_test.go}). Each case is the pool's facts, the blocks as seen, a batch and {@code now}; the
 * assertions are on the plan (answers, block changes, bindings, cursor), never on calls made.
 */
@Tag("pure")
class BlockPlannerTest {
    static final String UID = "0b6e-pool-uid";
    static final Instant NOW = Instant.parse("2026-12-06T02:00:00Z");
    static final long GENERATION = 4;

    // ------------------------------------------------------------------------------------------------ fixtures

    static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    static IpRangeSet set(String... items) {
        IpFamily family = items.length > 0 && items[0].contains(":") ? IpFamily.V6 : IpFamily.V4;
        return IpRangeSet.parse(family, List.of(items));
    }

    /** An open pool handing out all of {@code ips} (no gateway, no SpiderReservedIP), with no cursor. */
    static PoolFacts pool(String... ips) {
        return new PoolFacts(set(ips));
    }

    /** The facts of a pool, changed one at a time. */
    static final class PoolFacts {
        IpRangeSet usable;
        IpRangeSet handOut;
        IpAddress gateway;
        IpAddress cursor;
        boolean deleting;
        boolean disabled;
        String invalid;

        PoolFacts(IpRangeSet usable) {
            this.usable = usable;
            this.handOut = usable;
        }

        PoolFacts cursor(String a) {
            cursor = ip(a);
            return this;
        }

        /** The gateway: never handed out, as the writer computes the hand-out set (usable minus the gateway). */
        PoolFacts gateway(String a) {
            gateway = ip(a);
            handOut = handOut.minus(set(a));
            return this;
        }

        PoolFacts reservedIp(String a) {
            handOut = handOut.minus(set(a));
            return this;
        }

        PoolFacts deleting() {
            deleting = true;
            return this;
        }

        PoolFacts disabled() {
            disabled = true;
            return this;
        }

        PoolFacts invalid(String why) {
            invalid = why;
            usable = null;
            handOut = null;
            return this;
        }

        BlockPlanner.Pool build() {
            return new BlockPlanner.Pool("pool-a", UID, GENERATION, deleting, disabled, invalid, usable, gateway,
                    handOut, cursor);
        }
    }

    /** Blocks held in memory: entries (address → id), bindings (id → pod) and withdrawal marks. */
    static final class Blocks implements BlockView {
        final Map<IpAddress, Map<IpAddress, String>> entries = new TreeMap<>();
        final Map<IpAddress, Map<String, String>> holders = new HashMap<>();
        final Map<IpAddress, List<SpinneretIPBlockWithdrawal>> marks = new HashMap<>();

        /** {@code address} held by {@code id}, bound to {@code holder} (null: an earlier version's entry). */
        Blocks entry(String address, String id, String holder) {
            IpAddress a = ip(address);
            IpAddress first = AddressBlocks.blockOf(a);
            entries.computeIfAbsent(first, f -> new TreeMap<>()).put(a, id);
            if (holder != null) {
                holders.computeIfAbsent(first, f -> new HashMap<>()).put(id, holder);
            }
            return this;
        }

        /** {@code address} (or a range in one block) withdrawn by a pool update at {@code generation}, written at {@code since}. */
        Blocks mark(String address, Long generation, String since) {
            SpinneretIPBlockWithdrawal m = new SpinneretIPBlockWithdrawal();
            m.generation = generation;
            m.since = since;
            m.token = "t";
            m.ips = List.of(address);
            IpAddress first = AddressBlocks.blockOf(ip(address.split("-")[0]));
            entries.computeIfAbsent(first, f -> new TreeMap<>());
            marks.computeIfAbsent(first, f -> new ArrayList<>()).add(m);
            return this;
        }

        @Override
        public Block get(IpAddress first) {
            Map<IpAddress, String> e = entries.get(first);
            return e == null ? null : Block.of(Block.name(UID, first), "7", first,
                    AllocationLedger.of(first.family(), e), holders.get(first), marks.get(first));
        }

        @Override
        public List<Block> holding(String id) {
            return all().stream().filter(b -> b.ledger().reservationIds().contains(id)).toList();
        }

        @Override
        public List<Block> all() {
            return entries.keySet().stream().map(this::get).toList();
        }
    }

    static Blocks blocks() {
        return new Blocks();
    }

    static Plan plan(PoolFacts pool, Blocks blocks, Op... batch) {
        return BlockPlanner.plan(pool.build(), blocks, List.of(batch), NOW);
    }

    static Op reserve(String id) {
        return Op.reserve(id, "ns/" + id, null);
    }

    static Op reserve(String id, String holder) {
        return Op.reserve(id, holder, null);
    }

    static Op reserveExactly(String id, String address) {
        return Op.reserveExactly(id, "ns/" + id, ip(address));
    }

    static Reserved reserved(String address) {
        return new Reserved(ip(address));
    }

    /** The whole ledger after the plan: the blocks' entries with the plan's changed blocks in their place. */
    static Map<IpAddress, String> after(Blocks blocks, Plan plan) {
        Map<IpAddress, String> out = new TreeMap<>();
        blocks.entries.values().forEach(out::putAll);
        for (BlockPlanner.Change c : plan.changes()) {
            out.keySet().removeIf(a -> AddressBlocks.blockOf(a).equals(c.base().first()));
            out.putAll(c.ledger().asMap());
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ allocation order

    static Stream<Arguments> allocationOrder() {
        return Stream.of(
                // pool, allocated, cursor, preferred → address
                Arguments.of("10.0.0.1-10.0.0.10", List.of(), null, null, "10.0.0.1"),
                Arguments.of("10.0.0.1-10.0.0.10", List.of(), "10.0.0.3", null, "10.0.0.4"),
                Arguments.of("10.0.0.1-10.0.0.10", List.of("10.0.0.4", "10.0.0.5"), "10.0.0.3", null, "10.0.0.6"),
                // the cursor at the end wraps to the lowest free address (least recently released is reused last)
                Arguments.of("10.0.0.1-10.0.0.10", List.of("10.0.0.1"), "10.0.0.10", null, "10.0.0.2"),
                // a cursor outside the pool (the spec shrank) starts from the lowest
                Arguments.of("10.0.0.1-10.0.0.10", List.of(), "10.9.9.9", null, "10.0.0.1"),
                // a free preferred address wins over the cursor; a taken one falls back to the cursor
                Arguments.of("10.0.0.1-10.0.0.10", List.of(), "10.0.0.3", "10.0.0.8", "10.0.0.8"),
                Arguments.of("10.0.0.1-10.0.0.10", List.of("10.0.0.8"), "10.0.0.3", "10.0.0.8", "10.0.0.4"),
                // a preferred address outside the pool is ignored
                Arguments.of("10.0.0.1-10.0.0.10", List.of(), null, "10.0.1.1", "10.0.0.1"),
                // the search crosses into the next block of 256
                Arguments.of("10.0.0.250-10.0.1.5", List.of("10.0.0.255"), "10.0.0.254", null, "10.0.1.0"));
    }

    @ParameterizedTest(name = "pool {0}, allocated {1}, cursor {2}, preferred {3} -> {4}")
    @MethodSource
    void allocationOrder(String ips, List<String> allocated, String cursor, String preferred, String expected) {
        PoolFacts pool = pool(ips);
        if (cursor != null) {
            pool.cursor(cursor);
        }
        Blocks blocks = blocks();
        for (int i = 0; i < allocated.size(); i++) {
            blocks.entry(allocated.get(i), "old" + i, "ns/old" + i);
        }
        Plan plan = plan(pool, blocks, Op.reserve("r1", "ns/p", preferred == null ? null : ip(preferred)));

        assertEquals(List.of(reserved(expected)), plan.outcomes());
        assertEquals(List.of(new BlockPlanner.Alloc(0, "r1", ip(expected))), plan.allocated());
        assertFalse(plan.needsConfirm());
        // the cursor moves only for a search, not for a preferred address
        assertEquals(preferred == null ? ip(expected) : null, plan.cursor());
        BlockPlanner.Change c = plan.changes().get(0);
        assertEquals("r1", c.ledger().owner(ip(expected)).orElseThrow());
        assertEquals(Map.of("r1", "ns/p"), c.bind());
    }

    @Test
    void aBlockNotStoredYetIsNamedAfterThePoolUidAndHasNoResourceVersion() {
        Plan plan = plan(pool("10.0.3.7-10.0.3.9"), blocks(), reserve("r1"));

        Block base = plan.changes().get(0).base();
        assertFalse(base.stored());
        assertEquals(UID + "-0a000300", base.name());
        assertEquals(ip("10.0.3.0"), base.first());
    }

    @Test
    void aStoredBlockIsWrittenFromItsResourceVersion() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks().entry("10.0.0.1", "old", "ns/old"), reserve("r1"));

        assertEquals("7", plan.changes().get(0).base().resourceVersion());
        assertEquals(Map.of(ip("10.0.0.1"), "old", ip("10.0.0.2"), "r1"), plan.changes().get(0).ledger().asMap());
    }

    // ------------------------------------------------------------------------------------------------ exhaustion

    static Stream<Arguments> exhaustion() {
        return Stream.of(
                // pool, facts changed, allocated → total, allocated counted
                Arguments.of("every address taken", pool("10.0.0.1-10.0.0.3"),
                        List.of("10.0.0.1", "10.0.0.2", "10.0.0.3"), 3L, 3L),
                // total counts the usable addresses; a SpiderReservedIP is usable but never handed out
                Arguments.of("the rest is a SpiderReservedIP", pool("10.0.0.1-10.0.0.4").reservedIp("10.0.0.4"),
                        List.of("10.0.0.1", "10.0.0.2", "10.0.0.3"), 4L, 3L),
                // allocated counts every entry, also one left outside a spec that shrank
                Arguments.of("an entry outside the spec", pool("10.0.0.1-10.0.0.2"),
                        List.of("10.0.0.1", "10.0.0.2", "10.0.0.9"), 2L, 3L),
                Arguments.of("nothing to hand out", pool("10.0.0.1").reservedIp("10.0.0.1"), List.of(), 1L, 0L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void exhaustion(String name, PoolFacts pool, List<String> allocated, long total, long counted) {
        Blocks blocks = blocks();
        for (int i = 0; i < allocated.size(); i++) {
            blocks.entry(allocated.get(i), "old" + i, "ns/old" + i);
        }
        Plan plan = plan(pool, blocks, reserve("r1"));

        assertEquals(List.of(new Exhausted(total, counted)), plan.outcomes());
        assertTrue(plan.needsConfirm(), "an answer without a write is confirmed from a fresh read");
        assertEquals(List.of(), plan.changes());
        assertNull(plan.cursor());
    }

    @Test
    void aBatchLargerThanThePoolIsExhaustedAfterTheLastAddress() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.3"), blocks().entry("10.0.0.1", "a", "ns/a"), reserve("r1"),
                reserve("r2"), reserve("r3"));

        // the count includes the batch's own allocations
        assertEquals(List.of(reserved("10.0.0.2"), reserved("10.0.0.3"), new Exhausted(3, 3)), plan.outcomes());
        assertEquals(ip("10.0.0.3"), plan.cursor());
        assertEquals(1, plan.changes().size());
    }

    // ------------------------------------------------------------------------------ reserve of an id already held

    @Test
    void aReserveOfAnIdAlreadyHeldAnswersItsAddressWithoutAWrite() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks().entry("10.0.0.5", "r1", "ns/r1"), reserve("r1"));

        assertEquals(List.of(reserved("10.0.0.5")), plan.outcomes());
        assertEquals(List.of(), plan.changes());
        assertEquals(List.of(), plan.allocated());
        assertTrue(plan.needsConfirm());
    }

    @Test
    void aReserveOfAnIdBoundToAnotherPodIsUnavailableNamingThatPod() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks().entry("10.0.0.5", "r1", "ns/web-0"),
                reserve("r1", "ns/attacker"));

        assertEquals(List.of(new Unavailable("reservation r1 is bound to pod ns/web-0, not ns/attacker")),
                plan.outcomes());
        assertEquals(List.of(), plan.changes());
        assertTrue(plan.needsConfirm());
    }

    @Test
    void aLegacyEntryWithoutHolderIsBoundOnReserve() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks().entry("10.0.0.5", "r1", null), reserve("r1", "ns/p"));

        assertEquals(List.of(reserved("10.0.0.5")), plan.outcomes());
        assertEquals(1, plan.changes().size());
        BlockPlanner.Change c = plan.changes().get(0);
        assertEquals(Map.of(ip("10.0.0.5"), "r1"), c.ledger().asMap(), "the entry stays as it is");
        assertEquals(Map.of("r1", "ns/p"), c.bind());
        assertEquals(List.of(), plan.allocated());
    }

    @Test
    void aStatefulSetPodReusesItsReservationAcrossRestarts() {
        // web-0 is deleted and created again with the same name: its reservation id and binding are the same
        Blocks blocks = blocks().entry("10.0.0.7", "web0", "ns/web-0");
        Plan plan = plan(pool("10.0.0.1-10.0.0.9").cursor("10.0.0.8"), blocks, Op.reserve("web0", "ns/web-0",
                null));

        assertEquals(List.of(reserved("10.0.0.7")), plan.outcomes());
        assertEquals(List.of(), plan.changes());
    }

    // ------------------------------------------------------------------------------------------------ release

    static Stream<Arguments> release() {
        return Stream.of(
                // bound to, op's holder → released
                Arguments.of("ns/a", "ns/a", 1),
                Arguments.of("ns/a", "ns/b", 0), // a copy of another pod's reservation was deleted
                Arguments.of(null, "ns/a", 0), // an earlier version's entry: the sweep decides
                Arguments.of("ns/a", null, 1), // the sweep's release of an orphan it checked
                Arguments.of(null, null, 1));
    }

    @ParameterizedTest(name = "bound to {0}, released by {1} -> {2}")
    @MethodSource
    void release(String boundTo, String opHolder, int released) {
        Blocks blocks = blocks().entry("10.0.0.5", "r1", boundTo).entry("10.0.0.6", "r2", "ns/r2");
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks, Op.release("r1", opHolder));

        assertEquals(List.of(new Released(released)), plan.outcomes());
        assertEquals(released == 0, plan.needsConfirm(), "nothing released is confirmed from a fresh read");
        Map<IpAddress, String> expected = new TreeMap<>(Map.of(ip("10.0.0.6"), "r2"));
        if (released == 0) {
            expected.put(ip("10.0.0.5"), "r1");
        }
        assertEquals(expected, after(blocks, plan));
    }

    @Test
    void aReleaseGivesBackEveryAddressOfTheIdAcrossBlocks() {
        Blocks blocks = blocks().entry("10.0.0.5", "r1", "ns/a").entry("10.0.1.5", "r1", "ns/a")
                .entry("10.0.1.6", "r2", "ns/b");
        Plan plan = plan(pool("10.0.0.0-10.0.1.255"), blocks, Op.release("r1", "ns/a"));

        assertEquals(List.of(new Released(2)), plan.outcomes());
        assertEquals(2, plan.changes().size());
        assertEquals(Map.of(ip("10.0.1.6"), "r2"), after(blocks, plan));
    }

    @Test
    void aReleaseOfAnIdNotHeldReleasesNothing() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks(), Op.release("r1", "ns/a"));

        assertEquals(List.of(new Released(0)), plan.outcomes());
        assertTrue(plan.needsConfirm());
    }

    @Test
    void anOperationWithoutReservationIdChangesNothing() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks().entry("10.0.0.5", "r1", "ns/a"), Op.release("", null));

        assertEquals(List.of(new Released(0)), plan.outcomes());
        assertEquals(List.of(), plan.changes());
        assertFalse(plan.needsConfirm());
    }

    // ------------------------------------------------------------------------------- exact (static) addresses

    static Stream<Arguments> exactAddress() {
        String live = NOW.minus(Duration.ofSeconds(30)).toString();
        return Stream.of(
                // case, pool, blocks, address → reason (null: reserved), needsConfirm
                Arguments.of("free", pool("10.0.0.1-10.0.0.9"), blocks(), "10.0.0.5", null, false),
                Arguments.of("already allocated", pool("10.0.0.1-10.0.0.9"), blocks().entry("10.0.0.5", "r9", "ns/x"),
                        "10.0.0.5", "address 10.0.0.5 is already allocated (reservation r9)", true),
                Arguments.of("withdrawn by a live mark", pool("10.0.0.1-10.0.0.9"),
                        blocks().mark("10.0.0.5", GENERATION, live), "10.0.0.5",
                        "address 10.0.0.5 is being removed from its spec.ips by an update in flight", false),
                Arguments.of("outside the spec", pool("10.0.0.1-10.0.0.9"), blocks(), "10.0.0.50",
                        "address 10.0.0.50 is not among its usable addresses (spec.ips minus spec.excludeIPs)",
                        false),
                // the pool webhook keeps the gateway out of the usable addresses (outside spec.ips or excluded) ...
                Arguments.of("the gateway outside spec.ips", pool("10.0.0.2-10.0.0.9").gateway("10.0.0.1"),
                        blocks(), "10.0.0.1",
                        "address 10.0.0.1 is not among its usable addresses (spec.ips minus spec.excludeIPs)", false),
                // ... and the planner never hands it out even when the facts say it is usable
                Arguments.of("the gateway", pool("10.0.0.1-10.0.0.9").gateway("10.0.0.1"), blocks(), "10.0.0.1",
                        "address 10.0.0.1 is its gateway", false),
                Arguments.of("a SpiderReservedIP", pool("10.0.0.1-10.0.0.9").reservedIp("10.0.0.5"), blocks(),
                        "10.0.0.5", "address 10.0.0.5 is held by a SpiderReservedIP", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void exactAddress(String name, PoolFacts pool, Blocks blocks, String address, String reason,
            boolean needsConfirm) {
        Plan plan = plan(pool, blocks, reserveExactly("r1", address));

        Outcome expected = reason == null ? reserved(address) : new Unavailable(reason);
        assertEquals(List.of(expected), plan.outcomes());
        assertEquals(needsConfirm, plan.needsConfirm());
        assertEquals(reason == null ? 1 : 0, plan.allocated().size());
        assertNull(plan.cursor(), "an exact address does not move the cursor");
    }

    @Test
    void anExactAddressAlreadyHeldByTheSameIdIsAnsweredWithoutAWrite() {
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks().entry("10.0.0.5", "r1", "ns/r1"),
                reserveExactly("r1", "10.0.0.5"));

        assertEquals(List.of(reserved("10.0.0.5")), plan.outcomes());
        assertEquals(List.of(), plan.changes());
        assertTrue(plan.needsConfirm());
    }

    @Test
    void aReservationHoldingAnotherAddressMovesToTheExactOne() {
        Blocks blocks = blocks().entry("10.0.0.5", "r1", "ns/r1");
        Plan plan = plan(pool("10.0.0.0-10.0.1.255"), blocks, reserveExactly("r1", "10.0.1.9"));

        assertEquals(List.of(reserved("10.0.1.9")), plan.outcomes());
        assertEquals(Map.of(ip("10.0.1.9"), "r1"), after(blocks, plan));
        assertEquals(2, plan.changes().size(), "the old block loses it, the new block gets it");
    }

    // ------------------------------------------------------------------------------------------ withdrawal marks

    static Stream<Arguments> withdrawalMarks() {
        Instant recent = NOW.minus(Duration.ofSeconds(30));
        Instant old = NOW.minus(Block.MARK_TTL).minusSeconds(1);
        return Stream.of(
                // mark generation, written at → whether it still fences
                Arguments.of("live: the update may still be stored", GENERATION, recent.toString(), true),
                Arguments.of("expired by time: the update failed", GENERATION, old.toString(), false),
                Arguments.of("expired by generation: the update is stored", GENERATION - 1, recent.toString(), false),
                Arguments.of("a later generation than the pool seen", GENERATION + 1, recent.toString(), true),
                Arguments.of("an unreadable time", GENERATION, "yesterday", false),
                Arguments.of("no generation (0)", null, recent.toString(), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void withdrawalMarks(String name, Long generation, String since, boolean fences) {
        // the marked address is the only free one
        Blocks blocks = blocks().entry("10.0.0.1", "a", "ns/a").entry("10.0.0.3", "c", "ns/c")
                .mark("10.0.0.2", generation, since);
        Plan plan = plan(pool("10.0.0.1-10.0.0.3"), blocks, reserve("r1"));

        assertEquals(List.of(fences ? new Exhausted(3, 2) : reserved("10.0.0.2")), plan.outcomes());
    }

    @Test
    void aSearchSkipsAnAddressWithdrawnByALiveMark() {
        Blocks blocks = blocks().mark("10.0.0.1-10.0.0.2", GENERATION, NOW.minusSeconds(5).toString());
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks, reserve("r1"));

        assertEquals(List.of(reserved("10.0.0.3")), plan.outcomes());
        assertEquals(blocks.marks.get(ip("10.0.0.0")), plan.changes().get(0).base().withdrawn(),
                "the marks go along to the writer, which drops expired ones");
    }

    // ---------------------------------------------------------------------------------------------------- IPv6

    @Test
    void ipv6AllocatesFromTheCursorAcrossABlockBoundary() {
        Blocks blocks = blocks().entry("2001:db8::fe", "a", "ns/a");
        Plan plan = plan(pool("2001:db8::fe-2001:db8::101").cursor("2001:db8::fe"), blocks, reserve("r1"),
                reserve("r2"), reserve("r3"));

        assertEquals(List.of(reserved("2001:db8::ff"), reserved("2001:db8::100"), reserved("2001:db8::101")),
                plan.outcomes());
        assertEquals(ip("2001:db8::101"), plan.cursor());
        assertEquals(2, plan.changes().size());
        Block second = plan.changes().get(1).base();
        assertEquals(UID + "-20010db8000000000000000000000100", second.name());
        assertFalse(second.stored());
    }

    @Test
    void ipv6ExactAddressAndExhaustion() {
        Blocks blocks = blocks().entry("2001:db8::1", "a", "ns/a");
        PoolFacts pool = pool("2001:db8::1-2001:db8::2");

        assertEquals(List.of(reserved("2001:db8::2"), new Exhausted(2, 2)),
                plan(pool, blocks, reserveExactly("r1", "2001:db8::2"), reserve("r2")).outcomes());
        assertEquals(List.of(new Unavailable("address 2001:db8::1 is already allocated (reservation a)")),
                plan(pool, blocks, reserveExactly("r1", "2001:db8::1")).outcomes());
    }

    // ------------------------------------------------------------------------------------------ batches

    @Test
    void twoOpsInOneBatchNeverGetTheSameAddress() {
        // every op prefers the same address; the first gets it, the others search
        IpAddress same = ip("10.0.0.5");
        List<Op> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            batch.add(Op.reserve("r" + i, "ns/p" + i, same));
        }
        batch.add(Op.reserveExactly("x", "ns/x", same));
        Plan plan = BlockPlanner.plan(pool("10.0.0.0-10.0.1.255").build(), blocks(), batch, NOW);

        Set<IpAddress> seen = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            IpAddress a = ((Reserved) plan.outcomes().get(i)).address();
            assertTrue(seen.add(a), a + " handed out twice");
        }
        assertEquals(same, ((Reserved) plan.outcomes().get(0)).address());
        assertEquals(new Unavailable("address 10.0.0.5 is already allocated (reservation r0)"),
                plan.outcomes().get(300));
        assertEquals(300, plan.allocated().size());
        assertEquals(2, plan.changes().size(), "one write per block, whatever the batch's size");
        assertEquals(300, plan.changes().stream().mapToInt(c -> c.ledger().size()).sum());
    }

    @Test
    void aBatchSeesTheChangesOfTheOpsBeforeIt() {
        Blocks blocks = blocks().entry("10.0.0.5", "r1", "ns/r1");
        Plan plan = plan(pool("10.0.0.1-10.0.0.9"), blocks, Op.release("r1", "ns/r1"),
                reserveExactly("r2", "10.0.0.5"), reserve("r2"), Op.release("r2", "ns/r2"));

        assertEquals(List.of(new Released(1), reserved("10.0.0.5"), reserved("10.0.0.5"), new Released(1)),
                plan.outcomes());
        assertEquals(Map.of(), after(blocks, plan));
    }

    @Test
    void aReleasedAddressIsNotReusedBeforeTheCursorComesRound() {
        Blocks blocks = blocks().entry("10.0.0.1", "r1", "ns/r1");
        Plan plan = plan(pool("10.0.0.1-10.0.0.3").cursor("10.0.0.1"), blocks, Op.release("r1", "ns/r1"),
                reserve("r2"), reserve("r3"), reserve("r4"));

        assertEquals(List.of(new Released(1), reserved("10.0.0.2"), reserved("10.0.0.3"), reserved("10.0.0.1")),
                plan.outcomes());
    }

    // ------------------------------------------------------------------------------------------------ purity

    /** The planner and its inputs import the JDK (no I/O), the address core and the block mark only; no clock. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"BlockPlanner.java", "BlockView.java", "Block.java"})
    void thePlannerIsPure(String file) throws IOException {
        String source = Files.readString(Path.of("src/main/java/dev/spinneret/ledger", file));
        List<String> imports = source.lines().map(String::trim).filter(l -> l.startsWith("import ")).toList();
        List<String> offending = imports.stream().filter(l -> !l.matches("import (java\\.(time|util)"
                + "|dev\\.spinneret\\.(ip|ledger)|dev\\.spinneret\\.api\\.v1alpha1\\.SpinneretIPBlockWithdrawal)\\b.*;"))
                .toList();
        assertEquals(List.of(), offending);
        assertFalse(source.contains(".now(") || source.contains("currentTimeMillis"), file + " reads the clock");
    }

    // ----------------------------------------------------------------------------------------- a closed pool

    static Stream<Arguments> closedPool() {
        return Stream.of(
                Arguments.of(pool("10.0.0.1-10.0.0.9").deleting(), "it is being deleted"),
                Arguments.of(pool("10.0.0.1-10.0.0.9").disabled(), "spec.disable is true"),
                Arguments.of(pool("10.0.0.1-10.0.0.9").deleting().disabled(), "it is being deleted"),
                Arguments.of(pool("10.0.0.1-10.0.0.9").invalid("its spec is invalid: spec.subnet: is required"),
                        "its spec is invalid: spec.subnet: is required"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void closedPool(PoolFacts pool, String reason) {
        Blocks blocks = blocks().entry("10.0.0.5", "held", "ns/held").entry("10.0.0.6", "gone", "ns/gone");
        Plan plan = plan(pool, blocks, reserve("r1"), reserveExactly("r2", "10.0.0.7"), reserve("held"),
                Op.release("gone", "ns/gone"));

        assertEquals(List.of(new Unavailable(reason), new Unavailable(reason), reserved("10.0.0.5"),
                new Released(1)), plan.outcomes(), "what is held is still answered and released");
        assertEquals(List.of(), plan.allocated());
        assertEquals(Map.of(ip("10.0.0.5"), "held"), after(blocks, plan));
    }
}
