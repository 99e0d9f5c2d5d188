package dev.spinneret.selection;

import dev.spinneret.ip.IpRangeSet;
import java.util.Optional;

/**
 * The address arithmetic of automatic pools. Growing takes the lowest free addresses of the subnet, so an
 * application's pool stays as contiguous as the subnet allows (friendly to firewall rules). Shrinking gives back the
 * highest addresses that no pod holds and never one in use; if too few are free, the pool stays larger until pods go.
 */
public final class AutoPoolSizing {
    private AutoPoolSizing() {
    }

    /**
     * The pool's new addresses after growing to {@code desired}, or empty when the subnet has too few free addresses.
     *
     * @param subnetFree the subnet's usable addresses minus every pool's, reserved IPs and the gateway
     */
    public static Optional<IpRangeSet> grow(IpRangeSet current, IpRangeSet subnetFree, long desired) {
        long have = current.sizeSaturatedLong();
        if (have >= desired) {
            return Optional.of(current);
        }
        IpRangeSet extra = subnetFree.minus(current).lowestAddresses(desired - have);
        if (extra.sizeSaturatedLong() < desired - have) {
            return Optional.empty();
        }
        return Optional.of(current.union(extra));
    }

    /** The pool's addresses after giving back up to {@code current - desired} addresses that no pod holds. */
    public static IpRangeSet shrink(IpRangeSet current, IpRangeSet allocated, long desired) {
        long surplus = current.sizeSaturatedLong() - desired;
        if (surplus <= 0) {
            return current;
        }
        return current.minus(current.minus(allocated).highestAddresses(surplus));
    }
}
