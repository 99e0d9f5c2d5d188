package dev.spinneret.ledger;

import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpRangeSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One stored block of a pool's ledger, decoded once: its entries, who each reservation is bound to ({@link #holders}:
 * reservation id → {@code namespace/pod name}), its withdrawal marks, and the addresses a writer must skip
 * ({@link #used}: allocated or withdrawn). {@code resourceVersion} is null for a block not stored yet.
 */
public record Block(String name, String resourceVersion, IpAddress first, AllocationLedger ledger,
        Map<String, String> holders, List<SpinneretIPBlockWithdrawal> withdrawn, IpRangeSet allocated,
        IpRangeSet used) {

    /** How long a mark of a pool update that never got stored is honoured (the API server gives up after 60 s). */
    public static final Duration MARK_TTL = Duration.ofMinutes(2);

    /** A block as stored (null {@code holders} or {@code marks}: none), with its allocated and used addresses. */
    public static Block of(String name, String resourceVersion, IpAddress first, AllocationLedger ledger,
            Map<String, String> holders, List<SpinneretIPBlockWithdrawal> marks) {
        List<SpinneretIPBlockWithdrawal> m = marks == null ? List.of() : List.copyOf(marks);
        return new Block(name, resourceVersion, first, ledger, holders == null ? Map.of() : Map.copyOf(holders), m,
                ledger.allocated(), used(ledger, m));
    }

    /** A block that is not stored: nothing allocated. */
    public static Block absent(String name, IpAddress first) {
        IpRangeSet none = IpRangeSet.empty(first.family());
        return new Block(name, null, AddressBlocks.blockOf(first), AllocationLedger.empty(first.family()), Map.of(),
                List.of(), none, none);
    }

    /** Block name: the pool's UID and the block's first address in hex (a re-created pool never meets old blocks). */
    public static String name(String poolUid, IpAddress first) {
        IpAddress b = AddressBlocks.blockOf(first);
        String hex = b.isIPv4() ? String.format("%08x", b.low64())
                : String.format("%016x%016x", b.high64(), b.low64());
        return poolUid + "-" + hex;
    }

    private static IpRangeSet used(AllocationLedger ledger, List<SpinneretIPBlockWithdrawal> marks) {
        IpRangeSet used = ledger.allocated();
        for (SpinneretIPBlockWithdrawal m : marks) {
            if (m.ips != null) {
                used = used.union(IpRangeSet.parse(ledger.family(), m.ips));
            }
        }
        return used;
    }

    /** The pod {@code id} is bound to ({@code namespace/name}), or null (no such entry, or an earlier version's). */
    public String holder(String id) {
        return holders.get(id);
    }

    public boolean stored() {
        return resourceVersion != null;
    }

    /** Addresses withdrawn by marks (not allocations). */
    public IpRangeSet withdrawnAddresses() {
        return used.minus(allocated);
    }

    /**
     * Whether a mark still fences: its pool update may still be stored. Dropped once the pool's generation is past
     * the mark's (that update, or a later one, is stored and the writer's spec is that fresh), or after
     * {@link #MARK_TTL} with the pool still at the mark's generation (the update failed).
     */
    public static boolean live(SpinneretIPBlockWithdrawal m, long poolGeneration, Instant now) {
        long gen = m.generation == null ? 0 : m.generation;
        if (poolGeneration > gen) {
            return false;
        }
        try {
            return Instant.parse(m.since).plus(MARK_TTL).isAfter(now);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
