package dev.spinneret.ippool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.ClusterFootprints;
import dev.spinneret.cluster.OwnIdentity;
import dev.spinneret.cluster.ReservationNames;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpRange;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.ledger.ShrinkFence;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.AutoPoolLabels;
import dev.spinneret.pool.Footprint;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * Validating webhook for SpiderIPPool: the rules of Spiderpool's webhook (spiderpool-behaviour.md §4.2), every
 * denial naming the field and, for conflicts, the other object. Updates that leave {@code spec} unchanged (such as
 * removing the finalizer of a terminating pool) are always allowed: a pool can never get stuck (Spiderpool #1203).
 */
@ApplicationScoped
public class IpPoolValidator implements NamedAdmissionHandler {
    @Inject
    KubernetesClient client;
    @Inject
    AdmissionGate gate;
    @Inject
    ClusterFootprints footprints;
    @Inject
    ReservationNames reservations;
    @Inject
    OwnIdentity identity;
    @Inject
    PoolBlocks blocks;
    @Inject
    ShrinkFence fence;

    @Override
    public String webhookName() {
        return "validate-spiderippool";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (req.isDelete()) {
            return AdmissionOutcome.allow();
        }
        SpiderIPPool pool = read(req.object());
        if (pool.getSpec() == null) {
            throw AdmissionDenied.field("spec", "is required");
        }
        SpiderIPPool old = req.isUpdate() && req.oldObject() != null ? read(req.oldObject()) : null;
        if (old != null) {
            if (UpdateRules.specUnchanged(req)) {
                return AdmissionOutcome.allow();
            }
            UpdateRules.check("SpiderIPPool", name(pool), old.isMarkedForDeletion(), old.getSpec().ipVersion,
                    pool.getSpec().ipVersion, old.getSpec().subnet, pool.getSpec().subnet);
        }
        SpiderIPPoolSpec s = pool.getSpec();
        // ipVersion is normally set by the mutating webhook; when it is not, AddressSpec derives it from spec.subnet
        // and reports what is wrong with the subnet itself (e.g. "not in canonical form: use ...")
        AddressSpec spec = PoolSpec.complete(s);
        SelectorRules.check("spec.podAffinity", s.podAffinity, false);
        SelectorRules.check("spec.namespaceAffinity", s.namespaceAffinity, true);
        SelectorRules.check("spec.nodeAffinity", s.nodeAffinity, true);
        if (old != null) {
            guardAllocated(old, spec.usable(), req.dryRun());
            guardAutomatic(req, old, spec.usable());
        }
        Footprint mine = new Footprint("SpiderIPPool", name(pool), spec.subnet(), spec.usable())
                .of(pool.getMetadata().getUid(), pool.getMetadata().getGeneration());
        gate.admit(mine, req.dryRun(), footprints::fresh, others -> OverlapRules.forPool(mine, others));
        return AdmissionOutcome.allow();
    }

    /**
     * Refuses an update that removes allocated addresses. A pool whose ledger is in blocks: the removed addresses
     * are marked withdrawn in their blocks first (a dry run only checks), so a reservation racing this update can
     * neither take one after the check nor keep one taken before it (see {@link ShrinkFence}). A pool with an inline
     * ledger (not migrated yet): the API server orders this update against ledger writes (same object).
     */
    private void guardAllocated(SpiderIPPool old, IpRangeSet newUsable, boolean dryRun) {
        if (!PoolBlocks.migrated(old)) {
            AllocationLedger ledger = PoolBlocks.inline(old);
            IpRangeSet lost = ledger.allocated().minus(newUsable);
            if (!lost.isEmpty()) {
                deny(old, lost, ledger.owner(lost.ranges().get(0).first()).orElse(null));
            }
            return;
        }
        AddressSpec before = PoolSpec.addresses(old);
        IpRangeSet removed = before.usable().minus(newUsable);
        if (removed.isEmpty()) {
            return;
        }
        if (dryRun) {
            AllocationLedger ledger = blocks.assembled(old);
            IpRangeSet lost = ledger.allocated().intersect(removed);
            if (!lost.isEmpty()) {
                deny(old, lost, ledger.owner(lost.ranges().get(0).first()).orElse(null));
            }
            return;
        }
        Optional<ShrinkFence.Held> held;
        try {
            held = fence.withdraw(old, removed);
        } catch (IllegalArgumentException e) {
            throw AdmissionDenied.field("spec.ips", "removes addresses from more than " + ShrinkFence.MAX_BLOCKS
                    + " blocks of 256 addresses of SpiderIPPool " + name(old) + " at once; remove them in steps");
        }
        if (held.isPresent()) {
            AllocationLedger ledger = blocks.assembled(old);
            IpRangeSet lost = ledger.allocated().intersect(removed);
            deny(old, lost.isEmpty() ? IpRangeSet.of(IpRange.single(held.get().address())) : lost,
                    held.get().reservationId());
        }
    }

    private void deny(SpiderIPPool old, IpRangeSet lost, String ownerId) {
        var first = lost.ranges().get(0).first();
        String owner = ownerId == null ? "a pod" : reservations.describe(ownerId);
        throw AdmissionDenied.field("spec.ips", "cannot remove " + String.join(",", lost.toStrings())
                + " from SpiderIPPool " + name(old) + ": allocated (" + first + " is used by " + owner
                + "); delete those pods first");
    }

    /**
     * An automatic pool's addresses follow its workload; only Spinneret resizes it (as in Spiderpool, where they must
     * equal what the subnet handed out). A user's edit would be undone or would break the sizing.
     */
    private void guardAutomatic(AdmissionRequest req, SpiderIPPool old, IpRangeSet newUsable) {
        var labels = old.getMetadata().getLabels();
        if (labels == null || !labels.containsKey(AutoPoolLabels.UID)) {
            return;
        }
        var own = identity.username();
        if (own.isEmpty() || own.get().equals(req.userName())) {
            return;
        }
        AddressSpec before = PoolSpec.addresses(old);
        if (!before.usable().equals(newUsable)) {
            throw AdmissionDenied.field("spec.ips", "SpiderIPPool " + name(old) + " is the automatic pool of "
                    + labels.get(AutoPoolLabels.KIND) + " " + labels.get(AutoPoolLabels.NAMESPACE) + "/"
                    + labels.get(AutoPoolLabels.NAME) + "; its addresses follow the workload's replicas: change"
                    + " ipam.spidernet.io/ippool-ip-number in its pod template instead");
        }
    }

    private SpiderIPPool read(JsonNode node) {
        try {
            return client.getKubernetesSerialization().convertValue(node, SpiderIPPool.class);
        } catch (RuntimeException e) {
            throw AdmissionDenied.field("spec", "does not match the SpiderIPPool schema: " + e.getMessage());
        }
    }

    private static String name(SpiderIPPool p) {
        return p.getMetadata() == null ? "?" : p.getMetadata().getName();
    }
}
