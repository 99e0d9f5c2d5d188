package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpiderIPPoolStatus {
    /**
     * The allocation ledger: which reservation holds which address, one compact string (format in
     * {@code dev.spinneret.ip.AllocationLedger}); 65,536 entries stay far under etcd's 1.5 MiB object limit.
     */
    public String allocatedIPs;
    public Long totalIPCount;
    public Long allocatedIPCount;
    /** The last address handed out; the next allocation starts after it, so a just-released address is reused last. */
    public String lastAllocatedIP;
    /**
     * Spinneret: addresses a new pod can still get — the usable addresses minus those allocated and SpiderReservedIPs
     * (the gateway is never usable). Written with the counts (every ledger write), so it never costs a write of its own.
     */
    public Long freeIPCount;
    /**
     * Spinneret: which of the pool's selectors limit who may use it, for {@code kubectl get sp -o wide}:
     * {@code namespace}, {@code node}, {@code pod} (comma-separated), or {@code none}. Derived from spec with the counts.
     */
    public String restrictedBy;
}
