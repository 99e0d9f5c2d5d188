package dev.spinneret.ledger;

import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpRangeSet;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Orders a pool update that removes addresses against concurrent reservations. With the ledger in blocks, the pool
 * webhook's check and a reservation are not one object the API server serialises; so the webhook first marks the
 * removed addresses withdrawn in every block they fall in (each a conditional write, creating missing blocks), and
 * checks, in the same fresh read of each block, that no reservation holds one. A writer never takes a withdrawn
 * address; one that planned before the mark fails its block write (409) and re-plans. If a reservation holds a
 * removed address the update is refused and the webhook takes its own marks back.
 */
@ApplicationScoped
public class ShrinkFence {
    private static final Logger LOG = Logger.getLogger(ShrinkFence.class);
    /** Blocks one update may withdraw from (each is a write inside the webhook call). */
    public static final int MAX_BLOCKS = 512;

    @Inject
    PoolBlocks blocks;

    /** A removed address that a reservation holds. */
    public record Held(IpAddress address, String reservationId) {
    }

    /**
     * Marks {@code removed} withdrawn in {@code pool}'s blocks, or, when a reservation holds one of them, takes the
     * marks written so far back and returns that holder.
     *
     * @throws IllegalArgumentException when {@code removed} spans more than {@link #MAX_BLOCKS} blocks
     */
    public Optional<Held> withdraw(SpiderIPPool pool, IpRangeSet removed) {
        List<IpAddress> firsts = AddressBlocks.blocksTouching(removed, MAX_BLOCKS);
        SpinneretIPBlockWithdrawal mark = new SpinneretIPBlockWithdrawal();
        mark.generation = pool.getMetadata().getGeneration() == null ? 0 : pool.getMetadata().getGeneration();
        mark.since = Instant.now().toString();
        mark.token = UUID.randomUUID().toString();
        List<IpAddress> marked = new ArrayList<>();
        for (IpAddress first : firsts) {
            for (int attempt = 1;; attempt++) {
                Block b = blocks.readFresh(pool, first);
                IpRangeSet lost = b.allocated().intersect(removed);
                if (!lost.isEmpty()) {
                    IpAddress a = lost.lowest().orElseThrow();
                    takeBack(pool, marked, mark.token);
                    return Optional.of(new Held(a, b.ledger().owner(a).orElse("?")));
                }
                SpinneretIPBlockWithdrawal m = new SpinneretIPBlockWithdrawal();
                m.generation = mark.generation;
                m.since = mark.since;
                m.token = mark.token;
                m.ips = removed.intersect(IpRangeSet.of(AddressBlocks.rangeOf(first))).toStrings();
                List<SpinneretIPBlockWithdrawal> marks = new ArrayList<>(b.withdrawn());
                marks.add(m);
                try {
                    blocks.write(pool, b, b.ledger(), marks);
                    marked.add(first);
                    break;
                } catch (PoolBlocks.Conflict c) {
                    if (attempt >= 12) {
                        takeBack(pool, marked, mark.token);
                        throw new IllegalStateException("SpinneretIPBlock " + b.name() + " kept changing; try again");
                    }
                }
            }
        }
        return Optional.empty();
    }

    private void takeBack(SpiderIPPool pool, List<IpAddress> marked, String token) {
        for (IpAddress first : marked) {
            for (int attempt = 1; attempt <= 12; attempt++) {
                Block b = blocks.readFresh(pool, first);
                List<SpinneretIPBlockWithdrawal> keep = b.withdrawn().stream().filter(m -> !token.equals(m.token))
                        .toList();
                if (!b.stored() || keep.size() == b.withdrawn().size()) {
                    break;
                }
                try {
                    blocks.write(pool, b, b.ledger(), keep);
                    break;
                } catch (PoolBlocks.Conflict c) {
                    if (attempt == 12) {
                        LOG.warnf("SpinneretIPBlock %s: withdrawal mark not taken back; it lapses within %s",
                                b.name(), Block.MARK_TTL);
                    }
                }
            }
        }
    }
}
