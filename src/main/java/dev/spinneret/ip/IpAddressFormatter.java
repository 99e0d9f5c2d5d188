package dev.spinneret.ip;

/** Canonical text of addresses: dotted quad for IPv4, RFC 5952 for IPv6. */
final class IpAddressFormatter {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private IpAddressFormatter() {
    }

    static String v4(long value) {
        return appendV4(new StringBuilder(15), value).toString();
    }

    static String v6(long hi, long lo) {
        return appendV6(new StringBuilder(39), hi, lo).toString();
    }

    static StringBuilder appendV4(StringBuilder sb, long value) {
        sb.append((value >>> 24) & 0xFF).append('.').append((value >>> 16) & 0xFF).append('.')
                .append((value >>> 8) & 0xFF).append('.').append(value & 0xFF);
        return sb;
    }

    static StringBuilder appendHexGroup(StringBuilder sb, int group) {
        boolean started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            int d = (group >>> shift) & 0xF;
            if (d != 0 || started || shift == 0) {
                sb.append(HEX[d]);
                started = true;
            }
        }
        return sb;
    }

    static int group(long hi, long lo, int index) {
        long word = index < 4 ? hi : lo;
        return (int) ((word >>> (48 - 16 * (index & 3))) & 0xFFFF);
    }

    static StringBuilder appendV6(StringBuilder sb, long hi, long lo) {
        // IPv4-mapped ::ffff:a.b.c.d (RFC 5952 section 5)
        if (hi == 0 && (lo >>> 32) == 0xFFFFL) {
            sb.append("::ffff:");
            return appendV4(sb, lo & U128.V4_MAX);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = group(hi, lo, i);
        }
        // longest run of >= 2 zero groups, the first one on a tie
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLen) {
                sb.append(':');
            }
            appendHexGroup(sb, g[i]);
        }
        return sb;
    }
}
