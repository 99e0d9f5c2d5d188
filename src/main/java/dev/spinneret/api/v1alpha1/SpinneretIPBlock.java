package dev.spinneret.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One block of a SpiderIPPool's allocation ledger: the allocations of 256 addresses (an IPv4 /24, the last 8 bits
 * of an IPv6 address). Cluster-scoped, named {@code <pool UID>-<first address in hex>}, labelled with the pool's
 * name and UID, owned by the pool (Kubernetes' garbage collector removes the blocks after the pool). No status
 * subresource: a reservation is one update of one block, carrying its resourceVersion.
 */
@Group(SpinneretIPBlock.GROUP)
@Version(SpinneretIPBlock.VERSION)
@ShortNames("sib")
@Plural("spinneretipblocks")
@Singular("spinneretipblock")
@AdditionalPrinterColumn(name = "POOL", jsonPath = ".spec.pool", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "FIRST-IP", jsonPath = ".spec.firstIP", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "ALLOCATED-IP-COUNT", jsonPath = ".spec.allocatedIPCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "ALLOCATED-IPS", jsonPath = ".spec.allocatedIPs", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
public class SpinneretIPBlock extends CustomResource<SpinneretIPBlockSpec, Void> {
    public static final String GROUP = "ipam.spinneret.dev";
    public static final String VERSION = "v1alpha1";
    /** Label: the pool's name ({@code kubectl get sib -l ipam.spinneret.dev/pool=<pool>}). */
    public static final String POOL_LABEL = GROUP + "/pool";
    /** Label: the pool's UID (a pool deleted and created again under its name has other blocks). */
    public static final String POOL_UID_LABEL = GROUP + "/pool-uid";
}
