package dev.spinneret.ledger;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.IpAddress;

/** The result of one reserve or release against a pool's ledger. */
public sealed interface LedgerOutcome {
    /** The address now held by the reservation (newly taken, or already held: retries are idempotent). */
    record Reserved(IpAddress address, SpiderIPPool pool) implements LedgerOutcome {
    }

    record Exhausted(String pool, long total, long allocated) implements LedgerOutcome {
    }

    /** The pool cannot hand out addresses now (missing, disabled, being deleted). */
    record Unavailable(String pool, String reason) implements LedgerOutcome {
    }

    record Released(int addresses) implements LedgerOutcome {
    }
}
