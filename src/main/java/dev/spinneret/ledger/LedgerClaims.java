package dev.spinneret.ledger;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Checks a claim someone else wrote — a pod's reservation annotation, a SpiderEndpoint's recorded reservation —
 * against the ledger, read fresh: the claim holds only if the address's block holds it for that reservation id and
 * binds that id to that pod. Labels, annotations and endpoints are claims; the ledger is the truth.
 */
@ApplicationScoped
public class LedgerClaims {
    @Inject
    KubernetesClient client;
    @Inject
    PoolBlocks blocks;

    /**
     * Whether {@code address} (an address or address/prefix) of pool {@code poolName} is held by reservation
     * {@code id} bound to pod {@code holder} ({@code namespace/name}). An entry of an earlier version, not bound
     * to any pod yet, counts only when {@code acceptUnbound}.
     */
    public boolean holds(String poolName, String address, String id, String holder, boolean acceptUnbound) {
        if (poolName == null || poolName.isEmpty() || address == null || id == null) {
            return false;
        }
        SpiderIPPool pool = client.resources(SpiderIPPool.class).withName(poolName).get();
        if (pool == null || pool.getStatus() == null || pool.getStatus().allocatedIPs == null
                || pool.getSpec() == null || pool.getSpec().ipVersion == null) {
            return false;
        }
        try {
            int slash = address.indexOf('/');
            IpAddress a = IpAddress.parse(slash < 0 ? address : address.substring(0, slash));
            if (!PoolBlocks.migrated(pool)) {
                AllocationLedger inline = PoolBlocks.inline(pool); // an earlier version's pool: no bindings
                return acceptUnbound && inline.owner(a).map(id::equals).orElse(false);
            }
            Block b = blocks.readFresh(pool, a); // its one block
            if (!b.ledger().owner(a).map(id::equals).orElse(false)) {
                return false;
            }
            String bound = b.holder(id);
            return bound == null ? acceptUnbound : bound.equals(holder);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
