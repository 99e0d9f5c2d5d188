package dev.spinneret.ip;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Block arithmetic for a ledger stored in fixed blocks of 256 addresses: an IPv4 /24, or the addresses of an IPv6
 * /120 (the last 8 bits). A block is named by its first address. A pool's ledger is the merge of its blocks' ledgers,
 * each holding only the entries of its own block, so a reservation rewrites one block (a few KB) whatever the
 * pool's size.
 *
 * <p>The free-address search ({@link #nextFree}) walks blocks, asking for the used addresses of one block at a time:
 * it never assembles the pool's whole ledger. Its work is proportional to the number of full blocks it passes.
 */
public final class AddressBlocks {
    /** Addresses per block. */
    public static final int SIZE = 256;
    private static final long MASK = SIZE - 1;

    private AddressBlocks() {
    }

    /** The first address of the block {@code address} falls in. */
    public static IpAddress blockOf(IpAddress address) {
        return new IpAddress(address.family(), address.high64(), address.low64() & ~MASK);
    }

    /** The last address of the block starting at (or containing) {@code address}. */
    public static IpAddress lastOf(IpAddress address) {
        return new IpAddress(address.family(), address.high64(), address.low64() | MASK);
    }

    /** The 256 addresses of the block containing {@code address}. */
    public static IpRange rangeOf(IpAddress address) {
        return IpRange.of(blockOf(address), lastOf(address));
    }

    /** True if {@code address} is the first address of its block. */
    public static boolean isBlockStart(IpAddress address) {
        return (address.low64() & MASK) == 0;
    }

    /**
     * The first address of every block that {@code addresses} touches, ascending; {@code limit} bounds the answer
     * (a /8 touches 65,536 blocks): more than {@code limit} blocks throws.
     *
     * @throws IllegalArgumentException when more than {@code limit} blocks are touched
     */
    public static List<IpAddress> blocksTouching(IpRangeSet addresses, int limit) {
        List<IpAddress> out = new ArrayList<>();
        for (IpRange r : addresses.ranges()) {
            IpAddress b = blockOf(r.first());
            if (!out.isEmpty() && out.get(out.size() - 1).equals(b)) {
                b = nextBlock(b);
            }
            while (b != null && b.compareTo(r.last()) <= 0) {
                if (out.size() == limit) {
                    throw new IllegalArgumentException(addresses.summary(3) + " touches more than " + limit
                            + " blocks of " + SIZE + " addresses");
                }
                out.add(b);
                b = nextBlock(b);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The first address of the next block, or null after the family's last block. */
    public static IpAddress nextBlock(IpAddress block) {
        IpAddress last = lastOf(block);
        return last.isHighest() ? null : last.next();
    }

    /** {@code ledger} split by block: block start → that block's entries (only blocks with entries). */
    public static SortedMap<IpAddress, AllocationLedger> split(AllocationLedger ledger) {
        SortedMap<IpAddress, AllocationLedger> out = new TreeMap<>();
        int n = ledger.size();
        int from = 0;
        while (from < n) {
            long h = ledger.hi(from);
            long blk = ledger.lo(from) & ~MASK;
            int to = from + 1;
            while (to < n && ledger.hi(to) == h && (ledger.lo(to) & ~MASK) == blk) {
                to++;
            }
            long[] hi = new long[to - from];
            long[] lo = new long[to - from];
            String[] ids = new String[to - from];
            for (int i = from; i < to; i++) {
                hi[i - from] = ledger.hi(i);
                lo[i - from] = ledger.lo(i);
                ids[i - from] = ledger.id(i);
            }
            out.put(new IpAddress(ledger.family(), h, blk), new AllocationLedger(ledger.family(), hi, lo, ids));
            from = to;
        }
        return out;
    }

    /**
     * The ledger holding every entry of {@code blocks} (each a block's ledger, any order).
     *
     * @throws IllegalArgumentException when two blocks hold the same address (they overlap), or a block is of the
     *                                  other family
     */
    public static AllocationLedger merge(IpFamily family, Collection<AllocationLedger> blocks) {
        Objects.requireNonNull(family, "family");
        List<AllocationLedger> sorted = new ArrayList<>();
        int n = 0;
        for (AllocationLedger b : blocks) {
            if (b.family() != family) {
                throw new IllegalArgumentException("a " + b.family().displayName() + " block in a "
                        + family.displayName() + " ledger");
            }
            if (!b.isEmpty()) {
                sorted.add(b);
                n += b.size();
            }
        }
        sorted.sort((a, b) -> U128.compare(a.hi(0), a.lo(0), b.hi(0), b.lo(0)));
        long[] hi = new long[n];
        long[] lo = new long[n];
        String[] ids = new String[n];
        int k = 0;
        for (AllocationLedger b : sorted) {
            for (int i = 0; i < b.size(); i++) {
                if (k > 0 && U128.compare(hi[k - 1], lo[k - 1], b.hi(i), b.lo(i)) >= 0) {
                    throw new IllegalArgumentException("blocks overlap at " + new IpAddress(family, b.hi(i), b.lo(i)));
                }
                hi[k] = b.hi(i);
                lo[k] = b.lo(i);
                ids[k++] = b.id(i);
            }
        }
        return new AllocationLedger(family, hi, lo, ids);
    }

    /**
     * The first address of {@code handOut} strictly after {@code cursor} that is not used, wrapping around to the
     * lowest (which may be the cursor itself); empty when every address is used. A null cursor starts at the
     * bottom. {@code usedInBlock} gives the used addresses of one block (by its first address), or null for a
     * block that has none; it is called only for blocks the search passes.
     */
    public static Optional<IpAddress> nextFree(IpRangeSet handOut, Function<IpAddress, IpRangeSet> usedInBlock,
            IpAddress cursor) {
        if (handOut.isEmpty()) {
            return Optional.empty();
        }
        if (cursor != null && !cursor.isHighest()) {
            IpAddress found = firstFreeFrom(handOut, usedInBlock, cursor.next());
            if (found != null) {
                return Optional.of(found);
            }
        }
        IpAddress lowest = new IpAddress(handOut.family(), 0, 0);
        return Optional.ofNullable(firstFreeFrom(handOut, usedInBlock, lowest));
    }

    private static IpAddress firstFreeFrom(IpRangeSet handOut, Function<IpAddress, IpRangeSet> usedInBlock,
            IpAddress from) {
        IpRangeSet none = IpRangeSet.empty(handOut.family());
        IpAddress p = from;
        while (p != null) {
            IpAddress a = FreeAddressFinder.firstFreeFrom(handOut, none, p.high64(), p.low64());
            if (a == null) {
                return null;
            }
            IpAddress block = blockOf(a);
            IpRangeSet used = usedInBlock.apply(block);
            if (used == null || used.isEmpty()) {
                return a;
            }
            IpAddress f = FreeAddressFinder.firstFreeFrom(handOut, used, a.high64(), a.low64());
            if (f != null && blockOf(f).equals(block)) {
                return f;
            }
            p = nextBlock(block);
        }
        return null;
    }
}
