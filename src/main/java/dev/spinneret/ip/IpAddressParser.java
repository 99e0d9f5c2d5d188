package dev.spinneret.ip;

/**
 * Strict address parsing with specific, user-facing error messages. IPv4: exactly four decimal octets 0-255
 * without leading zeros. IPv6: RFC 4291 text forms (eight groups of 1-4 hex digits, at most one {@code ::},
 * optional dotted-quad IPv4 tail); no zone ids, brackets, prefixes or surrounding whitespace.
 */
final class IpAddressParser {

    private IpAddressParser() {
    }

    static IpAddress parse(String text) {
        String problem = commonProblem(text);
        if (problem != null) {
            throw IpFormatException.invalid(text, "IP address", problem);
        }
        if (text.indexOf(':') >= 0) {
            return parseV6(text);
        }
        if (text.indexOf('.') >= 0) {
            return parseV4(text);
        }
        throw IpFormatException.invalid(text, "IP address",
                "expected an IPv4 address like 10.0.0.1 or an IPv6 address like fd00::1");
    }

    static IpAddress parse(IpFamily family, String text) {
        String problem = commonProblem(text);
        String what = family.displayName() + " address";
        if (problem != null) {
            throw IpFormatException.invalid(text, what, problem);
        }
        boolean looksV6 = text.indexOf(':') >= 0;
        if (family == IpFamily.V4) {
            if (looksV6) {
                parseV6(text); // a malformed IPv6 address gets the more specific IPv6 message
                throw IpFormatException.invalid(text, what, "it is an IPv6 address");
            }
            return parseV4(text);
        }
        if (!looksV6) {
            if (text.indexOf('.') >= 0) {
                parseV4(text);
                throw IpFormatException.invalid(text, what, "it is an IPv4 address");
            }
            throw IpFormatException.invalid(text, what, "expected an IPv6 address like fd00::1");
        }
        return parseV6(text);
    }

    /** Problems that make the text no address of either family, or null. */
    private static String commonProblem(String text) {
        if (text == null) {
            return "it is missing (null)";
        }
        if (text.isEmpty()) {
            return "it is empty";
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isWhitespace(text.charAt(i)) || Character.isSpaceChar(text.charAt(i))) {
                return "it contains whitespace";
            }
        }
        if (text.indexOf('/') >= 0) {
            return "it has a prefix length; a single address is expected here, not a CIDR";
        }
        if (text.indexOf('-') >= 0) {
            return "it contains \"-\"; a single address is expected here, not a range";
        }
        if (text.indexOf('%') >= 0) {
            return "zone identifiers (\"%...\") are not supported";
        }
        if (text.indexOf('[') >= 0 || text.indexOf(']') >= 0) {
            return "remove the square brackets";
        }
        return null;
    }

    // ------------------------------------------------------------------ IPv4

    static IpAddress parseV4(String text) {
        long v = parseV4Value(text, text, "IPv4 address", "");
        return new IpAddress(IpFamily.V4, 0, v);
    }

    /**
     * Parses {@code part} (the whole input, or the IPv4 tail of an IPv6 address) as a dotted quad.
     *
     * @param whole   the whole input, for the message
     * @param what    what the whole input should have been
     * @param context prefix for the reason, e.g. "its IPv4 part "
     */
    private static long parseV4Value(String part, String whole, String what, String context) {
        long value = 0;
        int octets = 0;
        int start = 0;
        int n = part.length();
        int dots = 0;
        for (int i = 0; i < n; i++) {
            if (part.charAt(i) == '.') {
                dots++;
            }
        }
        if (dots != 3) {
            throw IpFormatException.invalid(whole, what, context + "expected 4 octets, found " + (dots + 1));
        }
        while (octets < 4) {
            int end = part.indexOf('.', start);
            if (end < 0) {
                end = n;
            }
            String octet = part.substring(start, end);
            int position = octets + 1;
            if (octet.isEmpty()) {
                throw IpFormatException.invalid(whole, what, context + "octet " + position + " is empty");
            }
            for (int i = 0; i < octet.length(); i++) {
                char c = octet.charAt(i);
                if (c < '0' || c > '9') {
                    throw IpFormatException.invalid(whole, what,
                            context + "octet " + IpFormatException.quote(octet) + " is not a decimal number");
                }
            }
            if (octet.length() > 1 && octet.charAt(0) == '0') {
                throw IpFormatException.invalid(whole, what, context + "octet " + IpFormatException.quote(octet)
                        + " has a leading zero (some tools read it as octal)");
            }
            if (octet.length() > 3 || Integer.parseInt(octet) > 255) {
                throw IpFormatException.invalid(whole, what, context + "octet " + octet + " is greater than 255");
            }
            value = (value << 8) | Integer.parseInt(octet);
            octets++;
            start = end + 1;
        }
        return value;
    }

    // ------------------------------------------------------------------ IPv6

    static IpAddress parseV6(String text) {
        final String what = "IPv6 address";
        if (text.contains(":::")) {
            throw IpFormatException.invalid(text, what, "it contains \":::\"");
        }
        int dc = text.indexOf("::");
        if (dc >= 0 && text.indexOf("::", dc + 1) >= 0) {
            throw IpFormatException.invalid(text, what, "\"::\" may appear only once");
        }
        if (text.startsWith(":") && dc != 0) {
            throw IpFormatException.invalid(text, what, "it starts with a single \":\"");
        }
        if (text.endsWith(":") && (dc < 0 || dc != text.length() - 2)) {
            throw IpFormatException.invalid(text, what, "it ends with a single \":\"");
        }
        String head = dc < 0 ? text : text.substring(0, dc);
        String tail = dc < 0 ? "" : text.substring(dc + 2);
        int[] headGroups = new int[head.length() / 2 + 2];
        int[] tailGroups = new int[tail.length() / 2 + 2];
        int nh = groups(head, text, dc < 0, headGroups);
        int nt = groups(tail, text, true, tailGroups);
        int total = nh + nt;
        if (dc < 0 && total != 8) {
            throw IpFormatException.invalid(text, what, "expected 8 groups, found " + total);
        }
        if (dc >= 0 && total > 7) {
            throw IpFormatException.invalid(text, what,
                    "too many groups: with \"::\" at most 7 groups can be written, found " + total);
        }
        int[] g = new int[8];
        System.arraycopy(headGroups, 0, g, 0, nh);
        System.arraycopy(tailGroups, 0, g, 8 - nt, nt);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 4; i++) {
            hi = (hi << 16) | g[i];
            lo = (lo << 16) | g[i + 4];
        }
        return new IpAddress(IpFamily.V6, hi, lo);
    }

    /**
     * Parses colon-separated groups into {@code out}; an IPv4 tail (allowed only if {@code lastPart}) counts as two
     * groups. Returns the number of groups (0 for an empty part).
     */
    private static int groups(String part, String whole, boolean lastPart, int[] out) {
        final String what = "IPv6 address";
        if (part.isEmpty()) {
            return 0;
        }
        int count = 0;
        int start = 0;
        while (true) {
            int end = part.indexOf(':', start);
            boolean last = end < 0;
            if (last) {
                end = part.length();
            }
            String group = part.substring(start, end);
            if (group.indexOf('.') >= 0) {
                if (!(last && lastPart)) {
                    throw IpFormatException.invalid(whole, what, "an embedded IPv4 part (" + IpFormatException.quote(group)
                            + ") is allowed only at the end");
                }
                long v4 = parseV4Value(group, whole, what, "its IPv4 part " + IpFormatException.quote(group) + ": ");
                out[count++] = (int) (v4 >>> 16);
                out[count++] = (int) (v4 & 0xFFFF);
                return count;
            }
            if (group.isEmpty()) {
                throw IpFormatException.invalid(whole, what, "it has an empty group");
            }
            out[count++] = hexGroup(group, whole);
            if (last) {
                return count;
            }
            start = end + 1;
        }
    }

    private static int hexGroup(String group, String whole) {
        int v = 0;
        for (int i = 0; i < group.length(); i++) {
            int d = Character.digit(group.charAt(i), 16);
            if (d < 0 || group.charAt(i) > 'f') {
                throw IpFormatException.invalid(whole, "IPv6 address",
                        IpFormatException.quote(group) + " is not a hexadecimal group");
            }
            v = (v << 4) | d;
        }
        if (group.length() > 4) {
            throw IpFormatException.invalid(whole, "IPv6 address",
                    "group " + IpFormatException.quote(group) + " has more than 4 hex digits");
        }
        return v;
    }
}
