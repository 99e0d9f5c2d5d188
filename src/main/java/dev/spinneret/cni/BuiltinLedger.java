package dev.spinneret.cni;

import java.util.Arrays;

/**
 * Decoder for the ledger string: entries sorted by address, separated by ',', each {@code <addr>=<id>}; {@code <addr>}
 * is the full canonical address, or {@code .<last octet>} (IPv4) / {@code :<last group hex>} (IPv6) when it shares all
 * but the last octet / 16-bit group with the previous entry.
 */
public final class BuiltinLedger implements LedgerLookup {
    public static final BuiltinLedger INSTANCE = new BuiltinLedger();

    @Override
    public String owner(String ledger, String address) {
        byte[] want = Addr.parse(address);
        if (ledger == null || ledger.isEmpty()) return null;
        byte[] prev = null;
        int n = 0;
        for (String raw : ledger.split(",", -1)) {
            n++;
            String e = raw.strip();
            if (e.isEmpty()) throw new IllegalArgumentException("empty ledger entry #" + n);
            int eq = e.indexOf('=');
            if (eq <= 0 || eq == e.length() - 1) throw new IllegalArgumentException("ledger entry #" + n + " '" + e + "' is not <addr>=<id>");
            String a = e.substring(0, eq);
            String id = e.substring(eq + 1);
            byte[] cur;
            if (a.charAt(0) == '.' || (a.charAt(0) == ':' && a.length() > 1 && a.charAt(1) != ':')) {
                if (prev == null) throw new IllegalArgumentException("ledger entry #" + n + " '" + e + "' is relative but has no predecessor");
                cur = prev.clone();
                String tail = a.substring(1);
                int v;
                try {
                    v = Integer.parseInt(tail, a.charAt(0) == '.' ? 10 : 16);
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("ledger entry #" + n + " '" + e + "' has a bad suffix");
                }
                if (a.charAt(0) == '.') {
                    if (cur.length != 4 || v < 0 || v > 255 || tail.length() > 3) throw new IllegalArgumentException("ledger entry #" + n + " '" + e + "' has a bad IPv4 suffix");
                    cur[3] = (byte) v;
                } else {
                    if (cur.length != 16 || v < 0 || v > 0xffff || tail.length() > 4) throw new IllegalArgumentException("ledger entry #" + n + " '" + e + "' has a bad IPv6 suffix");
                    cur[14] = (byte) (v >> 8);
                    cur[15] = (byte) v;
                }
            } else {
                cur = Addr.parse(a);
            }
            if (Arrays.equals(cur, want)) return id;
            prev = cur;
        }
        return null;
    }
}
