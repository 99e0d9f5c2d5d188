package dev.spinneret.ledger;

import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The blocks of one pool as this process last saw them (the informer's copies and its own writes, {@link PoolBlocks}),
 * with an index reservation id → blocks. Thread-safe. A copy older than the one held is not taken back in.
 */
public final class PoolBlockView implements BlockView {
    final IpFamily family;
    private final TreeMap<IpAddress, Block> blocks = new TreeMap<>();
    private final Map<String, Set<IpAddress>> byId = new HashMap<>();

    PoolBlockView(IpFamily family) {
        this.family = family;
    }

    @Override
    public synchronized Block get(IpAddress first) {
        return blocks.get(first);
    }

    @Override
    public synchronized List<Block> all() {
        return new ArrayList<>(blocks.values());
    }

    @Override
    public synchronized List<Block> holding(String id) {
        List<Block> out = new ArrayList<>();
        for (IpAddress a : byId.getOrDefault(id, Set.of())) {
            Block b = blocks.get(a);
            if (b != null) {
                out.add(b);
            }
        }
        return out;
    }

    synchronized void put(Block b, boolean onlyIfNewer) {
        Block old = blocks.get(b.first());
        if (onlyIfNewer && old != null && older(b.resourceVersion(), old.resourceVersion())) {
            return;
        }
        if (old != null) {
            for (String id : old.ledger().reservationIds()) {
                Set<IpAddress> s = byId.get(id);
                if (s != null && s.remove(old.first()) && s.isEmpty()) {
                    byId.remove(id);
                }
            }
        }
        blocks.put(b.first(), b);
        for (String id : b.ledger().reservationIds()) {
            byId.computeIfAbsent(id, k -> new HashSet<>()).add(b.first());
        }
    }

    synchronized void remove(IpAddress first) {
        Block old = blocks.remove(first);
        if (old != null) {
            for (String id : old.ledger().reservationIds()) {
                Set<IpAddress> s = byId.get(id);
                if (s != null && s.remove(first) && s.isEmpty()) {
                    byId.remove(id);
                }
            }
        }
    }

    synchronized void replaceAll(List<Block> fresh) {
        blocks.clear();
        byId.clear();
        fresh.forEach(b -> put(b, false));
    }

    /** Resource versions are opaque; a numeric comparison only avoids going back to an older copy (a 409). */
    private static boolean older(String a, String b) {
        try {
            return Long.parseLong(a) < Long.parseLong(b);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
