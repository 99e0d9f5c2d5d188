package dev.spinneret.cni;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Strict IP literal / CIDR parsing without DNS. */
public final class Addr {
    private Addr() {
    }

    /** 4 or 16 bytes; IllegalArgumentException when not a plain IPv4/IPv6 literal (no zones, no brackets). */
    public static byte[] parse(String s) {
        if (s == null || s.isEmpty()) throw new IllegalArgumentException("empty address");
        if (s.indexOf(':') >= 0) {
            if (s.indexOf('%') >= 0 || s.indexOf('[') >= 0 || s.indexOf('/') >= 0) throw new IllegalArgumentException("'" + s + "' is not an IP address");
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) throw new IllegalArgumentException("'" + s + "' is not an IP address");
            }
            try {
                InetAddress a = InetAddress.getByName(s); // contains ':' → literal parse only, never DNS
                if (!(a instanceof Inet6Address)) throw new IllegalArgumentException("'" + s + "' is an IPv4-mapped IPv6 address");
                return a.getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + s + "' is not an IP address");
            }
        }
        String[] p = s.split("\\.", -1);
        if (p.length != 4) throw new IllegalArgumentException("'" + s + "' is not an IP address");
        byte[] b = new byte[4];
        for (int k = 0; k < 4; k++) {
            String o = p[k];
            if (o.isEmpty() || o.length() > 3 || (o.length() > 1 && o.charAt(0) == '0')) throw new IllegalArgumentException("'" + s + "' is not an IP address");
            int v = 0;
            for (int j = 0; j < o.length(); j++) {
                char c = o.charAt(j);
                if (c < '0' || c > '9') throw new IllegalArgumentException("'" + s + "' is not an IP address");
                v = v * 10 + (c - '0');
            }
            if (v > 255) throw new IllegalArgumentException("'" + s + "' is not an IP address");
            b[k] = (byte) v;
        }
        return b;
    }

    public static boolean isV4(String s) {
        return s.indexOf(':') < 0;
    }

    /** Validates "addr/prefix" of the given family (4 or 6); returns the address part. */
    public static String cidrAddress(String cidr, int family) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) throw new IllegalArgumentException("'" + cidr + "' is not in CIDR notation (address/prefix)");
        String a = cidr.substring(0, slash);
        byte[] b = parse(a);
        int len = b.length == 4 ? 4 : 6;
        if (family != 0 && len != family) throw new IllegalArgumentException("'" + cidr + "' is not an IPv" + family + " CIDR");
        String ps = cidr.substring(slash + 1);
        int prefix;
        try {
            if (ps.isEmpty() || ps.length() > 3 || (ps.length() > 1 && ps.charAt(0) == '0') || !ps.chars().allMatch(Character::isDigit)) throw new NumberFormatException();
            prefix = Integer.parseInt(ps);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + cidr + "' has a bad prefix length");
        }
        if (prefix > b.length * 8) throw new IllegalArgumentException("'" + cidr + "' has a prefix length above " + b.length * 8);
        return a;
    }

    public static String canonical(String s) {
        byte[] b = parse(s);
        if (b.length == 4) return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        // RFC 5952: lowercase, no leading zeros, longest run (>=2) of zero groups compressed, first one on ties
        int[] g = new int[8];
        for (int k = 0; k < 8; k++) g[k] = ((b[2 * k] & 0xff) << 8) | (b[2 * k + 1] & 0xff);
        int bestStart = -1, bestLen = 0;
        for (int k = 0; k < 8; ) {
            if (g[k] != 0) {
                k++;
                continue;
            }
            int j = k;
            while (j < 8 && g[j] == 0) j++;
            if (j - k > bestLen && j - k >= 2) {
                bestStart = k;
                bestLen = j - k;
            }
            k = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 8; k++) {
            if (k == bestStart) {
                sb.append("::");
                k += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[k]));
        }
        return sb.toString();
    }
}
