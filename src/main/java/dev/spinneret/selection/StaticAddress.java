package dev.spinneret.selection;

import dev.spinneret.ip.IpAddress;

/**
 * An address a pod asks for by value (Multus' {@code "ips": ["10.1.2.3/24"]}): the address, the prefix length
 * when one was written (null otherwise), and the text as written.
 */
public record StaticAddress(IpAddress address, Integer prefixLength, String text) {

    static StaticAddress parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        IpAddress a = IpAddress.parse(slash < 0 ? t : t.substring(0, slash));
        Integer prefix = null;
        if (slash >= 0) {
            prefix = Integer.parseInt(t.substring(slash + 1));
            if (prefix < 0 || prefix > a.family().bits()) {
                throw new IllegalArgumentException("prefix length " + prefix + " out of range");
            }
        }
        return new StaticAddress(a, prefix, t);
    }
}
