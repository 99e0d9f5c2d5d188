package dev.spinneret.ip;

/** Encoding and strict decoding of the {@link AllocationLedger} string (the format is in its class comment). */
final class LedgerCodec {

    private LedgerCodec() {
    }

    static String encode(AllocationLedger ledger) {
        int n = ledger.size();
        if (n == 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder(n * 16);
        boolean v4 = ledger.family() == IpFamily.V4;
        for (int i = 0; i < n; i++) {
            long h = ledger.hi(i);
            long l = ledger.lo(i);
            if (i > 0) {
                sb.append(',');
                long ph = ledger.hi(i - 1);
                long pl = ledger.lo(i - 1);
                if (v4 && (pl >>> 8) == (l >>> 8)) {
                    sb.append('.').append(l & 0xFF);
                } else if (!v4 && ph == h && (pl >>> 16) == (l >>> 16)) {
                    IpAddressFormatter.appendHexGroup(sb.append(':'), (int) (l & 0xFFFF));
                } else {
                    appendFull(sb, v4, h, l);
                }
            } else {
                appendFull(sb, v4, h, l);
            }
            sb.append('=').append(ledger.id(i));
        }
        return sb.toString();
    }

    private static void appendFull(StringBuilder sb, boolean v4, long h, long l) {
        if (v4) {
            IpAddressFormatter.appendV4(sb, l);
        } else {
            IpAddressFormatter.appendV6(sb, h, l);
        }
    }

    static AllocationLedger decode(IpFamily family, String s) {
        if (family == null) {
            throw new NullPointerException("family");
        }
        if (s == null || s.isEmpty()) {
            return AllocationLedger.empty(family);
        }
        int capacity = 1; // one entry per comma, plus one: sized up front, never regrown
        for (int k = s.indexOf(','); k >= 0; k = s.indexOf(',', k + 1)) {
            capacity++;
        }
        long[] hi = new long[capacity];
        long[] lo = new long[capacity];
        String[] ids = new String[capacity];
        int n = 0;
        int len = s.length();
        int start = 0;
        boolean v4 = family == IpFamily.V4;
        while (true) {
            int end = s.indexOf(',', start);
            if (end < 0) {
                end = len;
            }
            if (end == start) {
                throw error(n, "", end == len ? "the ledger must not end with \",\"" : "empty entry (two commas in a row"
                        + (start == 0 ? " or a leading comma)" : ")"));
            }
            int eq = s.indexOf('=', start);
            if (eq < 0 || eq > end) {
                throw error(n, s.substring(start, end), "expected <address>=<reservation id>");
            }
            if (eq == start) {
                throw error(n, s.substring(start, end), "the address before \"=\" is missing");
            }
            // reservation id
            int idLen = end - eq - 1;
            boolean idOk = idLen >= 1 && idLen <= AllocationLedger.MAX_ID_LENGTH;
            for (int k = eq + 1; idOk && k < end; k++) {
                char c = s.charAt(k);
                idOk = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            }
            if (!idOk) {
                throw error(n, s.substring(start, end), "reservation id " + IpFormatException.quote(s.substring(eq + 1, end))
                        + " must be 1 to 16 characters of a-z and 0-9");
            }
            // address
            long h;
            long l;
            char c0 = s.charAt(start);
            boolean relative = v4 ? c0 == '.' : (c0 == ':' && (eq - start < 2 || s.charAt(start + 1) != ':'));
            if (relative) {
                if (n == 0) {
                    throw error(n, s.substring(start, end), "the first entry must have a full address, not the short form "
                            + IpFormatException.quote(s.substring(start, eq)));
                }
                h = hi[n - 1];
                if (v4) {
                    int octet = decimalOctet(s, start + 1, eq);
                    if (octet < 0) {
                        throw error(n, s.substring(start, end), "short form " + IpFormatException.quote(s.substring(start, eq))
                                + " must be \".\" and the last octet: 0 to 255 in decimal without leading zeros");
                    }
                    l = (lo[n - 1] & ~0xFFL) | octet;
                } else {
                    int group = hexGroup(s, start + 1, eq);
                    if (group < 0) {
                        throw error(n, s.substring(start, end), "short form " + IpFormatException.quote(s.substring(start, eq))
                                + " must be \":\" and the last group: 1 to 4 lowercase hex digits without leading zeros");
                    }
                    l = (lo[n - 1] & ~0xFFFFL) | group;
                }
            } else {
                String text = s.substring(start, eq);
                IpAddress a;
                try {
                    a = IpAddress.parse(family, text);
                } catch (IpFormatException e) {
                    throw error(n, s.substring(start, end), e.getMessage());
                }
                if (!a.toString().equals(text)) {
                    throw error(n, s.substring(start, end), "address " + IpFormatException.quote(text)
                            + " must be written in canonical form " + a);
                }
                h = a.high64();
                l = a.low64();
            }
            if (n > 0) {
                int c = U128.compare(h, l, hi[n - 1], lo[n - 1]);
                if (c == 0) {
                    throw error(n, s.substring(start, end), "address " + new IpAddress(family, h, l)
                            + " appears twice (entries " + (n - 1) + " and " + n + ")");
                }
                if (c < 0) {
                    throw error(n, s.substring(start, end), "address " + new IpAddress(family, h, l)
                            + " is not greater than the previous address " + new IpAddress(family, hi[n - 1], lo[n - 1])
                            + " (entries must be sorted by address)");
                }
            }
            hi[n] = h;
            lo[n] = l;
            ids[n] = s.substring(eq + 1, end);
            n++;
            if (end == len) {
                break;
            }
            start = end + 1;
        }
        return new AllocationLedger(family, hi, lo, ids); // every comma-separated entry was decoded: n == capacity
    }

    /** 0-255 written canonically in s[from, to), or -1. */
    private static int decimalOctet(String s, int from, int to) {
        int len = to - from;
        if (len < 1 || len > 3 || (len > 1 && s.charAt(from) == '0')) {
            return -1;
        }
        int v = 0;
        for (int k = from; k < to; k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v <= 255 ? v : -1;
    }

    /** 1-4 lowercase hex digits without leading zeros in s[from, to), or -1. */
    private static int hexGroup(String s, int from, int to) {
        int len = to - from;
        if (len < 1 || len > 4 || (len > 1 && s.charAt(from) == '0')) {
            return -1;
        }
        int v = 0;
        for (int k = from; k < to; k++) {
            char c = s.charAt(k);
            int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
            if (d < 0) {
                return -1;
            }
            v = (v << 4) | d;
        }
        return v;
    }

    private static IpFormatException error(int index, String entry, String reason) {
        return new IpFormatException("invalid allocation ledger: entry " + index + " " + IpFormatException.quote(entry)
                + ": " + reason);
    }
}
