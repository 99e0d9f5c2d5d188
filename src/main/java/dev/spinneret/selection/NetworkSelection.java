package dev.spinneret.selection;

import java.util.List;

/**
 * One network a pod selects through Multus, with the interface name Multus will give it ({@code @if} or
 * {@code interface} when written, otherwise {@code net<position>}; {@code eth0} for the default network), the
 * static addresses asked for in the JSON form's {@code ips}, and where it was written (for messages).
 */
public record NetworkSelection(String namespace, String name, String iface, List<StaticAddress> ips,
        String source) {

    /** {@code namespace/name}, as users write it. */
    public String key() {
        return namespace + "/" + name;
    }
}
