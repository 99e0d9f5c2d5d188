package dev.spinneret.ip;

import java.util.regex.Pattern;

/**
 * What the release before the block ledger (commit f01bdfc^, where {@code status.allocatedIPs} held the whole ledger)
 * accepted in {@code status.allocatedIPs}: its grammar, pinned here so that "an earlier version refuses the new
 * format" is checked against that version and not against today's decoder, which may change.
 *
 * <p>That release's {@code LedgerCodec.decode}: comma-separated {@code <address>=<id>} entries, ids of 1 to 16 of
 * {@code a-z0-9}, the first entry a full address, later ones full or short ({@code .<octet>} for IPv4, {@code :<group>}
 * for IPv6), strictly ascending. This copy checks the shape (characters and structure) and, for IPv4, the octets and
 * the order; it leaves out IPv6 canonical form and order, which only narrow what that decoder accepted further. So a
 * string this copy refuses, that release refused too (failing the request, so an old replica stops instead of
 * allocating from a ledger it cannot read).
 */
public final class PreviousReleaseLedger {
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern V4_FULL = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern V4_SHORT = Pattern.compile("\\." + OCTET);
    private static final Pattern V6_FULL = Pattern.compile("[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}");
    private static final Pattern V6_SHORT = Pattern.compile(":[1-9a-f][0-9a-f]{0,3}|:0");
    private static final Pattern ID = Pattern.compile("[a-z0-9]{1,16}");

    private PreviousReleaseLedger() {
    }

    /** Whether that release's decoder accepted {@code encoded} for a pool of this family (the empty ledger included). */
    public static boolean accepts(IpFamily family, String encoded) {
        if (encoded.isEmpty()) {
            return true;
        }
        long previous = -1;
        String[] entries = encoded.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String e = entries[i];
            int eq = e.indexOf('=');
            if (eq <= 0 || !ID.matcher(e.substring(eq + 1)).matches()) {
                return false;
            }
            String a = e.substring(0, eq);
            if (family == IpFamily.V6) {
                boolean full = V6_FULL.matcher(a).matches() && (i == 0 || a.length() > 1 && !V6_SHORT.matcher(a).matches());
                if (!full && (i == 0 || !V6_SHORT.matcher(a).matches())) {
                    return false;
                }
                continue;
            }
            long value;
            if (V4_FULL.matcher(a).matches()) {
                value = 0;
                for (String o : a.split("\\.")) {
                    value = value << 8 | Integer.parseInt(o);
                }
            } else if (i > 0 && V4_SHORT.matcher(a).matches()) {
                value = previous & ~0xFFL | Integer.parseInt(a.substring(1));
            } else {
                return false;
            }
            if (value <= previous) {
                return false;
            }
            previous = value;
        }
        return true;
    }
}
