package dev.spinneret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpinneretIPBlockSpec {
    /** The SpiderIPPool whose allocations this block holds. */
    public String pool;
    /** That pool's UID. */
    public String poolUID;
    /** 4 or 6. */
    public Integer ipVersion;
    /** The block's first address; it holds this address and the next 255. */
    public String firstIP;
    /**
     * The block's allocations, {@code address=reservation-id} entries in the ledger encoding of
     * {@code dev.spinneret.ip.AllocationLedger} (only this block's addresses).
     */
    public String allocatedIPs;
    /**
     * Who each reservation was made for: reservation id → {@code <namespace>/<pod name>}. The binding the CNI plugin
     * checks before it hands an address to a pod, and the one releases follow (docs/security.md). Every id of
     * {@code allocatedIPs} written by this version has one; an id without one was written by an earlier version and
     * is bound by the service from its pod shortly after start-up.
     */
    public Map<String, String> holders;
    /** Number of entries in {@code allocatedIPs}, for {@code kubectl get sib}. */
    public Integer allocatedIPCount;
    /**
     * Addresses being removed from the pool's spec by an update the pool webhook admitted: no reservation may take
     * them while that update is in flight. Dropped once the pool's generation is past the mark's, or after 2 minutes
     * at the same generation (the update failed).
     */
    public List<SpinneretIPBlockWithdrawal> withdrawn;
}
