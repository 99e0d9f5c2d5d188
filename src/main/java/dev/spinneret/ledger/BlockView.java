package dev.spinneret.ledger;

import dev.spinneret.ip.IpAddress;
import java.util.List;

/** A read-only view of one pool's blocks, as last seen (possibly stale: a stale view only costs a 409). */
public interface BlockView {
    /** The block starting at {@code first}, or null when none is seen (not stored, as far as the view knows). */
    Block get(IpAddress first);

    /** The blocks that hold entries of reservation {@code id}. */
    List<Block> holding(String id);

    /** Every block seen, ascending by first address. */
    List<Block> all();
}
