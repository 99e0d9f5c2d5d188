package dev.spinneret.ledger;

import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpRangeSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides which addresses a batch of reserves and releases gets against a pool's blocks: "no address twice" in one
 * place, as a pure function of the pool's facts, a view of its blocks, the batch and {@code now} (no clock, no I/O;
 * the writer reads, plans, writes each changed block conditionally and plans again on a conflict).
 *
 * <p>Per operation, in batch order (each sees the changes of those before it):
 * <ul>
 * <li>a release gives back the addresses the reservation id holds that are bound to the op's holder (an entry bound
 *     to another pod, or to none yet, stays for the sweep); a release with a null holder gives back all of them;</li>
 * <li>a reserve of an id bound to another pod is Unavailable, naming that pod; an id held already is answered with
 *     its address (idempotent), and an entry of an earlier version (no holder) is bound to the op's holder;</li>
 * <li>otherwise a closed pool (being deleted, disabled, invalid spec) is Unavailable; an exact (static) address is
 *     checked (allocated, withdrawn by a live mark, outside the spec, the gateway, a SpiderReservedIP) and a held
 *     address of the id moves to it; a free address is the preferred one if free, else the next free after the
 *     cursor (wrapping); none is Exhausted with the pool's counts.</li>
 * </ul>
 * An answer that needs no write (already held, nothing released, exhausted, taken by another reservation) sets
 * {@link Plan#needsConfirm}: the writer gives it only after planning from a fresh read.
 */
public final class BlockPlanner {
    private BlockPlanner() {
    }

    /**
     * The facts of the pool the planner needs. {@code invalidSpec}: why its spec cannot be read (then
     * {@code usable}, {@code gateway} and {@code handOut} are null). {@code handOut}: the addresses it hands out —
     * usable (spec.ips minus spec.excludeIPs) minus SpiderReservedIPs minus the gateway. {@code cursor}: the last
     * address handed out (the next search starts after it), or null.
     */
    public record Pool(String name, String uid, long generation, boolean deleting, boolean disabled,
            String invalidSpec, IpRangeSet usable, IpAddress gateway, IpRangeSet handOut, IpAddress cursor) {
    }

    /**
     * One operation. {@code exact}: {@code preferred} is the only acceptable address (a static address the pod asks
     * for). {@code holder}: the pod ({@code namespace/name}) the reservation is bound to; on a release, only
     * addresses bound to it are given back (null: whichever pod they are bound to). An empty {@code reservationId}
     * changes nothing (Released(0)).
     */
    public record Op(boolean reserve, String reservationId, String holder, IpAddress preferred, boolean exact) {
        public static Op reserve(String reservationId, String holder, IpAddress preferred) {
            return new Op(true, reservationId, holder, preferred, false);
        }

        public static Op reserveExactly(String reservationId, String holder, IpAddress address) {
            return new Op(true, reservationId, holder, address, true);
        }

        public static Op release(String reservationId, String holder) {
            return new Op(false, reservationId, holder, null, false);
        }
    }

    /** The answer to one operation (the writer adds the pool). */
    public sealed interface Outcome {
        record Reserved(IpAddress address) implements Outcome {
        }

        record Exhausted(long total, long allocated) implements Outcome {
        }

        record Unavailable(String reason) implements Outcome {
        }

        record Released(int addresses) implements Outcome {
        }
    }

    /** A new allocation: operation {@code op} of the batch gave {@code address} to reservation {@code id}. */
    public record Alloc(int op, String id, IpAddress address) {
    }

    /**
     * A block the plan changes: {@code base} as planned from (stored or absent; its resourceVersion makes the write
     * conditional), its new {@code ledger}, and the bindings added (reservation id → {@code namespace/pod name}).
     */
    public record Change(Block base, AllocationLedger ledger, Map<String, String> bind) {
    }

    /**
     * The plan: block changes ascending by first address, an outcome per operation, the new allocations, whether
     * an answer needs a fresh read first, and the cursor after it (null: unchanged).
     */
    public record Plan(List<Change> changes, List<Outcome> outcomes, List<Alloc> allocated, boolean needsConfirm,
            IpAddress cursor) {
    }

    public static Plan plan(Pool pool, BlockView view, List<Op> batch, Instant now) {
        Work w = new Work(pool, view, now);
        for (int i = 0; i < batch.size(); i++) {
            Op op = batch.get(i);
            if (op.reservationId().isEmpty()) {
                w.outcomes.add(new Outcome.Released(0));
            } else {
                w.outcomes.add(op.reserve() ? w.reserve(i, op) : w.release(op));
            }
        }
        List<Change> changes = new ArrayList<>();
        w.ledgers.forEach((first, ledger) -> changes.add(new Change(w.base.get(first), ledger,
                Map.copyOf(w.binds.getOrDefault(first, Map.of())))));
        return new Plan(List.copyOf(changes), List.copyOf(w.outcomes), List.copyOf(w.allocated), w.needsConfirm,
                w.newCursor);
    }

    /** The state of one planning pass: the blocks as planned from, and what the batch changed so far. */
    private static final class Work {
        final Pool pool;
        final BlockView view;
        final Instant now;
        /** Blocks the plan changes: block start → new ledger. */
        final TreeMap<IpAddress, AllocationLedger> ledgers = new TreeMap<>();
        /** Bindings the plan adds: block start → reservation id → {@code namespace/pod name}. */
        final Map<IpAddress, Map<String, String>> binds = new HashMap<>();
        /** The blocks as planned from (stored or absent). */
        final Map<IpAddress, Block> base = new HashMap<>();
        final Map<IpAddress, IpRangeSet> usedCache = new HashMap<>();
        final List<Outcome> outcomes = new ArrayList<>();
        final List<Alloc> allocated = new ArrayList<>();
        boolean needsConfirm;
        IpAddress cursor;
        IpAddress newCursor;

        Work(Pool pool, BlockView view, Instant now) {
            this.pool = pool;
            this.view = view;
            this.now = now;
            this.cursor = pool.cursor();
        }

        Block block(IpAddress first) {
            return base.computeIfAbsent(first, f -> {
                Block b = view.get(f);
                return b != null ? b : Block.absent(Block.name(pool.uid(), f), f);
            });
        }

        AllocationLedger ledger(IpAddress first) {
            AllocationLedger l = ledgers.get(first);
            return l != null ? l : block(first).ledger();
        }

        String holderOf(IpAddress first, String id) {
            String h = binds.getOrDefault(first, Map.of()).get(id);
            return h != null ? h : block(first).holder(id);
        }

        /** Allocated or withdrawn by a live mark: what no reservation may take. */
        IpRangeSet used(IpAddress first) {
            return usedCache.computeIfAbsent(first, f -> {
                IpRangeSet u = ledger(f).allocated();
                for (SpinneretIPBlockWithdrawal m : block(f).withdrawn()) {
                    if (Block.live(m, pool.generation(), now) && m.ips != null) {
                        u = u.union(IpRangeSet.parse(u.family(), m.ips));
                    }
                }
                return u;
            });
        }

        void change(IpAddress first, AllocationLedger ledger) {
            ledgers.put(first, ledger);
            usedCache.remove(first);
        }

        /** The addresses {@code id} holds in this pool: in the view's index, and in blocks this plan changed. */
        List<IpAddress> held(String id) {
            TreeSet<IpAddress> firsts = new TreeSet<>(ledgers.keySet());
            view.holding(id).forEach(b -> firsts.add(b.first()));
            List<IpAddress> out = new ArrayList<>(2);
            for (IpAddress f : firsts) {
                out.addAll(ledger(f).addressesOf(id));
            }
            return out;
        }

        Outcome release(Op op) {
            int released = 0;
            for (IpAddress a : held(op.reservationId())) {
                IpAddress first = AddressBlocks.blockOf(a);
                String bound = holderOf(first, op.reservationId());
                if (op.holder() != null && !op.holder().equals(bound)) {
                    // bound to another pod (a copy of its reservation was deleted), or not bound yet (an
                    // earlier version's entry: the sweep decides, from its binding once recorded)
                    continue;
                }
                change(first, ledger(first).without(a));
                released++;
            }
            needsConfirm |= released == 0;
            return new Outcome.Released(released);
        }

        Outcome reserve(int i, Op op) {
            String id = op.reservationId();
            List<IpAddress> held = held(id);
            String otherHolder = held.stream().map(a -> holderOf(AddressBlocks.blockOf(a), id))
                    .filter(h -> h != null && !h.equals(op.holder())).findFirst().orElse(null);
            if (otherHolder != null) {
                needsConfirm = true;
                return new Outcome.Unavailable("reservation " + id + " is bound to pod " + otherHolder + ", not "
                        + op.holder());
            }
            for (IpAddress a : held) { // an earlier version's entry: bind it to this pod now
                IpAddress first = AddressBlocks.blockOf(a);
                if (holderOf(first, id) == null) {
                    ledgers.putIfAbsent(first, ledger(first));
                    binds.computeIfAbsent(first, f -> new HashMap<>()).put(id, op.holder());
                }
            }
            if (!held.isEmpty() && (!op.exact() || held.contains(op.preferred()))) {
                needsConfirm = true;
                return new Outcome.Reserved(op.exact() ? op.preferred() : held.get(0));
            }
            if (pool.deleting() || pool.disabled() || pool.invalidSpec() != null) {
                return new Outcome.Unavailable(pool.invalidSpec() != null ? pool.invalidSpec()
                        : pool.deleting() ? "it is being deleted" : "spec.disable is true");
            }
            if (op.exact()) {
                String why = exactUnavailable(op.preferred());
                if (why != null) {
                    needsConfirm |= why.contains("already allocated");
                    return new Outcome.Unavailable(why);
                }
                for (IpAddress a : held) { // moves to the asked address
                    IpAddress f = AddressBlocks.blockOf(a);
                    change(f, ledger(f).without(a));
                }
            }
            Optional<IpAddress> pick = Optional.empty();
            if (op.preferred() != null && pool.handOut().contains(op.preferred())
                    && !used(AddressBlocks.blockOf(op.preferred())).contains(op.preferred())) {
                pick = Optional.of(op.preferred());
            }
            if (pick.isEmpty()) {
                pick = AddressBlocks.nextFree(pool.handOut(), this::used, cursor);
            }
            if (pick.isEmpty()) {
                needsConfirm = true;
                long allocatedCount = 0;
                for (Block b : view.all()) {
                    allocatedCount += ledger(b.first()).size();
                }
                return new Outcome.Exhausted(pool.usable().sizeSaturatedLong(), allocatedCount);
            }
            IpAddress first = AddressBlocks.blockOf(pick.get());
            change(first, ledger(first).with(pick.get(), id));
            binds.computeIfAbsent(first, f -> new HashMap<>()).put(id, op.holder());
            if (op.preferred() == null) {
                cursor = pick.get();
                newCursor = cursor;
            }
            allocated.add(new Alloc(i, id, pick.get()));
            return new Outcome.Reserved(pick.get());
        }

        /** Why {@code address} cannot be reserved exactly, or null. */
        String exactUnavailable(IpAddress address) {
            IpAddress first = AddressBlocks.blockOf(address);
            Optional<String> owner = ledger(first).owner(address);
            if (owner.isPresent()) {
                return "address " + address + " is already allocated (reservation " + owner.get() + ")";
            }
            if (used(first).contains(address)) {
                return "address " + address + " is being removed from its spec.ips by an update in flight";
            }
            if (pool.handOut().contains(address)) {
                return null;
            }
            if (!pool.usable().contains(address)) {
                return "address " + address + " is not among its usable addresses (spec.ips minus spec.excludeIPs)";
            }
            return "address " + address + (address.equals(pool.gateway()) ? " is its gateway"
                    : " is held by a SpiderReservedIP");
        }
    }
}
