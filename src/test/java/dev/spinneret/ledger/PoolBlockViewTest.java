package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The in-memory view of a pool's blocks: the id index follows every change, and no older copy replaces a newer. */
@Tag("pure")
class PoolBlockViewTest {
    static final IpAddress B0 = IpAddress.parse("10.0.0.0");
    static final IpAddress B1 = IpAddress.parse("10.0.1.0");

    static Block block(IpAddress first, String rv, Map<String, String> addressToId) {
        Map<IpAddress, String> entries = new TreeMap<>();
        addressToId.forEach((a, id) -> entries.put(IpAddress.parse(a), id));
        return Block.of(Block.name("uid", first), rv, first, AllocationLedger.of(IpFamily.V4, entries), null, null);
    }

    static List<String> firsts(List<Block> blocks) {
        return blocks.stream().map(b -> b.first().toString()).sorted().toList();
    }

    @Test
    void theIdIndexFollowsPutsAndRemoves() {
        PoolBlockView v = new PoolBlockView(IpFamily.V4);
        v.put(block(B0, "5", Map.of("10.0.0.1", "a", "10.0.0.2", "b")), true);
        v.put(block(B1, "6", Map.of("10.0.1.1", "a")), true);
        assertEquals(List.of("10.0.0.0", "10.0.1.0"), firsts(v.holding("a")));
        v.put(block(B0, "7", Map.of("10.0.0.2", "b")), true); // a released in the first block
        assertEquals(List.of("10.0.1.0"), firsts(v.holding("a")));
        v.remove(B1);
        assertEquals(List.of(), v.holding("a"));
        assertEquals(List.of("10.0.0.0"), firsts(v.holding("b")));
        assertNull(v.get(B1));
    }

    @Test
    void anOlderCopyFromTheWatchDoesNotReplaceANewerOneButAFreshReadDoes() {
        PoolBlockView v = new PoolBlockView(IpFamily.V4);
        v.put(block(B0, "9", Map.of("10.0.0.1", "a")), false); // our own write
        v.put(block(B0, "8", Map.of()), true); // the watch delivers the copy before it
        assertEquals("9", v.get(B0).resourceVersion());
        assertEquals(List.of("10.0.0.0"), firsts(v.holding("a")));
        v.put(block(B0, "8", Map.of()), false); // a fresh read is taken as it is
        assertEquals(List.of(), v.holding("a"));
    }

    @Test
    void replaceAllForgetsWhatTheFreshListDoesNotHave() {
        PoolBlockView v = new PoolBlockView(IpFamily.V4);
        v.put(block(B0, "1", Map.of("10.0.0.1", "a")), true);
        v.put(block(B1, "2", Map.of("10.0.1.1", "b")), true);
        v.replaceAll(List.of(block(B1, "3", Map.of("10.0.1.1", "b"))));
        assertEquals(List.of("10.0.1.0"), firsts(v.all()));
        assertEquals(List.of(), v.holding("a"));
    }
}
