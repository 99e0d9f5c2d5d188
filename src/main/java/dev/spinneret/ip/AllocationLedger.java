package dev.spinneret.ip;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * A pool's record of which reservation holds which address: an immutable map address → reservation id, for one
 * family, stored in {@code SpiderIPPool.status.allocatedIPs} as one compact string.
 *
 * <p>Reservation ids are 1 to 16 characters of {@code [a-z0-9]}.
 *
 * <h2>Encoded form</h2>
 * <ul>
 *   <li>The empty ledger is the empty string.</li>
 *   <li>Otherwise: entries sorted by ascending address, separated by {@code ,} (no spaces, no trailing comma).</li>
 *   <li>Each entry is {@code <addr>=<id>}.</li>
 *   <li>{@code <addr>} is the full canonical address (dotted quad; RFC 5952 for IPv6), EXCEPT when the entry's
 *       address shares all but the last octet (IPv4) with the previous entry's address: then it is written
 *       {@code .<last octet in decimal>}; for IPv6, when it shares all but the last 16-bit group with the previous
 *       entry's address: {@code :<last group in lowercase hex, no leading zeros>}.</li>
 * </ul>
 * Examples: {@code 10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00} and
 * {@code fd00::a=abc,:b=def,fd00::1:0=ghi}.
 *
 * <p>{@link #encode()} always uses the short form where it applies, so the encoding of a ledger is unique.
 * {@link #decode} is strict: it refuses garbage, non-canonical full addresses, malformed short forms, a short form
 * on the first entry, duplicate addresses, unsorted entries, invalid ids and addresses of the other family, naming
 * the entry. It does accept a full address where the short form could have been used.
 *
 * <p>With 8-character ids, 65,536 entries take about 0.9 MB (see docs/address-core.md), far under etcd's 1.5 MiB.
 */
public final class AllocationLedger {

    /** Longest reservation id. */
    public static final int MAX_ID_LENGTH = 16;

    private final IpFamily family;
    private final long[] hi;
    private final long[] lo;
    private final String[] ids;

    AllocationLedger(IpFamily family, long[] hi, long[] lo, String[] ids) {
        this.family = family;
        this.hi = hi;
        this.lo = lo;
        this.ids = ids;
    }

    public static AllocationLedger empty(IpFamily family) {
        return new AllocationLedger(Objects.requireNonNull(family, "family"), new long[0], new long[0], new String[0]);
    }

    /**
     * The ledger holding exactly {@code entries} (address → reservation id, any map order). O(n log n).
     *
     * @throws IllegalArgumentException for an address of the other family or an invalid id
     */
    public static AllocationLedger of(IpFamily family, Map<IpAddress, String> entries) {
        Objects.requireNonNull(family, "family");
        @SuppressWarnings("unchecked")
        Map.Entry<IpAddress, String>[] sorted = entries.entrySet().toArray(new Map.Entry[0]);
        Arrays.sort(sorted, Map.Entry.comparingByKey());
        int n = sorted.length;
        long[] hi = new long[n];
        long[] lo = new long[n];
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            IpAddress a = sorted[i].getKey();
            if (a.family() != family) {
                throw new IllegalArgumentException(a + " is " + a.family().displayName() + " but the ledger is "
                        + family.displayName());
            }
            requireValidId(sorted[i].getValue());
            hi[i] = a.high64();
            lo[i] = a.low64();
            ids[i] = sorted[i].getValue();
        }
        return new AllocationLedger(family, hi, lo, ids);
    }

    /**
     * Parses the encoded form (see the class comment). Null or empty gives the empty ledger.
     *
     * @throws IpFormatException naming the bad entry, e.g.
     *                           {@code invalid allocation ledger: entry 2 ".91=abc": address 10.0.0.91 is not greater
     *                           than the previous address 10.0.0.92 (entries must be sorted by address)}
     */
    public static AllocationLedger decode(IpFamily family, String encoded) {
        return LedgerCodec.decode(family, encoded);
    }

    /** The encoded form (see the class comment). */
    public String encode() {
        return LedgerCodec.encode(this);
    }

    /** True for 1 to 16 characters of {@code [a-z0-9]}. */
    public static boolean isValidReservationId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    static void requireValidId(String id) {
        if (!isValidReservationId(id)) {
            throw new IllegalArgumentException("reservation id " + IpFormatException.quote(id)
                    + " must be 1 to 16 characters of a-z and 0-9");
        }
    }

    // ---------------------------------------------------------------- raw access (package)

    long hi(int i) {
        return hi[i];
    }

    long lo(int i) {
        return lo[i];
    }

    String id(int i) {
        return ids[i];
    }

    private int indexOf(IpAddress a) {
        if (a.family() != family) {
            return -1;
        }
        int low = 0;
        int high = ids.length - 1;
        long h = a.high64();
        long l = a.low64();
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int c = U128.compare(hi[mid], lo[mid], h, l);
            if (c < 0) {
                low = mid + 1;
            } else if (c > 0) {
                high = mid - 1;
            } else {
                return mid;
            }
        }
        return -(low + 1);
    }

    private IpAddress address(int i) {
        return new IpAddress(family, hi[i], lo[i]);
    }

    // ---------------------------------------------------------------- queries

    public IpFamily family() {
        return family;
    }

    /** Number of allocated addresses. */
    public int size() {
        return ids.length;
    }

    public boolean isEmpty() {
        return ids.length == 0;
    }

    /** The reservation holding {@code address}, if any. O(log size). */
    public Optional<String> owner(IpAddress address) {
        int i = indexOf(address);
        return i >= 0 ? Optional.of(ids[i]) : Optional.empty();
    }

    /** The addresses held by reservation {@code id}, ascending. O(size). */
    public List<IpAddress> addressesOf(String id) {
        List<IpAddress> out = new ArrayList<>(2);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i].equals(id)) {
                out.add(address(i));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The distinct reservation ids, sorted. */
    public SortedSet<String> reservationIds() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(Arrays.asList(ids)));
    }

    /** All allocated addresses as a merged set, built in one pass over the sorted entries. */
    public IpRangeSet allocated() {
        RangeSetBuilder b = new RangeSetBuilder(family, 16);
        for (int i = 0; i < ids.length; i++) {
            b.add(hi[i], lo[i], hi[i], lo[i]);
        }
        return b.build();
    }

    /** All entries, ascending by address. */
    public void forEach(BiConsumer<IpAddress, String> action) {
        for (int i = 0; i < ids.length; i++) {
            action.accept(address(i), ids[i]);
        }
    }

    /** A sorted, unmodifiable copy as a map. */
    public SortedMap<IpAddress, String> asMap() {
        TreeMap<IpAddress, String> m = new TreeMap<>();
        forEach(m::put);
        return Collections.unmodifiableSortedMap(m);
    }

    // ---------------------------------------------------------------- updates (each returns a new ledger)

    /**
     * This ledger plus {@code address → id}. Unchanged if the address is already held by {@code id}.
     *
     * @throws IllegalArgumentException if the address is of the other family, the id is invalid, or the address is
     *                                  already held by another reservation (release it first with {@link #without})
     */
    public AllocationLedger with(IpAddress address, String id) {
        requireValidId(id);
        requireFamily(address);
        int i = indexOf(address);
        if (i >= 0) {
            if (ids[i].equals(id)) {
                return this;
            }
            throw new IllegalArgumentException(address + " is already held by reservation " + ids[i]
                    + "; it cannot also be given to " + id);
        }
        int at = -(i + 1);
        int n = ids.length;
        long[] nh = new long[n + 1];
        long[] nl = new long[n + 1];
        String[] ni = new String[n + 1];
        System.arraycopy(hi, 0, nh, 0, at);
        System.arraycopy(lo, 0, nl, 0, at);
        System.arraycopy(ids, 0, ni, 0, at);
        nh[at] = address.high64();
        nl[at] = address.low64();
        ni[at] = id;
        System.arraycopy(hi, at, nh, at + 1, n - at);
        System.arraycopy(lo, at, nl, at + 1, n - at);
        System.arraycopy(ids, at, ni, at + 1, n - at);
        return new AllocationLedger(family, nh, nl, ni);
    }

    /**
     * This ledger plus every {@code address → id}, in one merge (use this for {@code take(n)} results).
     *
     * @throws IllegalArgumentException as for {@link #with}
     */
    public AllocationLedger withAll(Collection<IpAddress> addresses, String id) {
        requireValidId(id);
        IpAddress[] add = addresses.toArray(new IpAddress[0]);
        for (IpAddress a : add) {
            requireFamily(a);
        }
        Arrays.sort(add);
        int n = ids.length;
        long[] nh = new long[n + add.length];
        long[] nl = new long[n + add.length];
        String[] ni = new String[n + add.length];
        int i = 0;
        int j = 0;
        int k = 0;
        while (i < n || j < add.length) {
            int c = i == n ? 1 : j == add.length ? -1 : U128.compare(hi[i], lo[i], add[j].high64(), add[j].low64());
            if (c < 0) {
                nh[k] = hi[i];
                nl[k] = lo[i];
                ni[k++] = ids[i++];
            } else if (c > 0) {
                if (k > 0 && ni[k - 1] != null && nh[k - 1] == add[j].high64() && nl[k - 1] == add[j].low64()) {
                    j++; // duplicate in the input
                    continue;
                }
                nh[k] = add[j].high64();
                nl[k] = add[j].low64();
                ni[k++] = id;
                j++;
            } else {
                if (!ids[i].equals(id)) {
                    throw new IllegalArgumentException(add[j] + " is already held by reservation " + ids[i]
                            + "; it cannot also be given to " + id);
                }
                j++; // already held by the same reservation: keep the existing entry
            }
        }
        if (k == n) {
            return this;
        }
        return new AllocationLedger(family, Arrays.copyOf(nh, k), Arrays.copyOf(nl, k), Arrays.copyOf(ni, k));
    }

    /** This ledger without {@code address} (unchanged if it was not allocated). */
    public AllocationLedger without(IpAddress address) {
        int i = indexOf(address);
        if (i < 0) {
            return this;
        }
        int n = ids.length;
        long[] nh = new long[n - 1];
        long[] nl = new long[n - 1];
        String[] ni = new String[n - 1];
        System.arraycopy(hi, 0, nh, 0, i);
        System.arraycopy(lo, 0, nl, 0, i);
        System.arraycopy(ids, 0, ni, 0, i);
        System.arraycopy(hi, i + 1, nh, i, n - i - 1);
        System.arraycopy(lo, i + 1, nl, i, n - i - 1);
        System.arraycopy(ids, i + 1, ni, i, n - i - 1);
        return new AllocationLedger(family, nh, nl, ni);
    }

    /** This ledger without any address held by reservation {@code id} (unchanged if it held none). */
    public AllocationLedger withoutReservation(String id) {
        int n = ids.length;
        int keep = 0;
        for (String s : ids) {
            if (!s.equals(id)) {
                keep++;
            }
        }
        if (keep == n) {
            return this;
        }
        long[] nh = new long[keep];
        long[] nl = new long[keep];
        String[] ni = new String[keep];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (!ids[i].equals(id)) {
                nh[k] = hi[i];
                nl[k] = lo[i];
                ni[k++] = ids[i];
            }
        }
        return new AllocationLedger(family, nh, nl, ni);
    }

    private void requireFamily(IpAddress a) {
        if (a.family() != family) {
            throw new IllegalArgumentException(a + " is " + a.family().displayName() + " but the ledger is "
                    + family.displayName());
        }
    }

    // ---------------------------------------------------------------- object

    @Override
    public boolean equals(Object o) {
        return o instanceof AllocationLedger l && l.family == family && Arrays.equals(l.hi, hi)
                && Arrays.equals(l.lo, lo) && Arrays.equals(l.ids, ids);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(lo) * 31 + Arrays.hashCode(ids);
    }

    /** A short description (size and family), not the encoded form: ledgers can be a megabyte long. */
    @Override
    public String toString() {
        return "AllocationLedger[" + family.displayName() + ", " + ids.length + " entries]";
    }
}
