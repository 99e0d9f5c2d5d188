package dev.spinneret.ip;

import java.util.Random;
import java.util.TreeMap;

/** Deterministic large ledgers for tests and the benchmark. */
public final class LedgerFixtures {

    /** Encoded sizes in bytes of {@link #ledger} with 65,536 entries from 10.0.0.0 / fd00:: (measured, deterministic). */
    public static final int SIZE_V4_CONSECUTIVE = 891_281;
    public static final int SIZE_V4_EVERY_OTHER = 893_219;
    public static final int SIZE_V6_CONSECUTIVE = 978_675;
    public static final int SIZE_V6_EVERY_OTHER = 978_682;

    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

    private LedgerFixtures() {
    }

    /**
     * A ledger of {@code count} addresses {@code start, start+step, ...}, each held by its own random 8-character id
     * (fixed seed).
     */
    public static AllocationLedger ledger(IpAddress start, int count, int step) {
        Random rnd = new Random(65_536L * step + count);
        TreeMap<IpAddress, String> entries = new TreeMap<>();
        IpAddress a = start;
        char[] id = new char[8];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < id.length; k++) {
                id[k] = ID_CHARS.charAt(rnd.nextInt(ID_CHARS.length()));
            }
            entries.put(a, new String(id));
            a = a.plus(step);
        }
        return AllocationLedger.of(start.family(), entries);
    }
}
