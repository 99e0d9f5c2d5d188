package dev.spinneret.cni;

/**
 * Reads a pool's allocation ledger ({@code status.allocatedIPs}). Kept as a tiny seam so the plugin can use the shared
 * {@code dev.spinneret.ip.AllocationLedger} decoder (the one ledger implementation, shared with the service).
 */
public interface LedgerLookup {
    /**
     * The reservation id owning {@code address} in {@code ledger}, or null when the address is not allocated.
     *
     * @throws IllegalArgumentException when the ledger text is malformed
     */
    String owner(String ledger, String address);
}
