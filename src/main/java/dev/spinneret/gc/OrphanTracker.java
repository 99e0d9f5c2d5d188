package dev.spinneret.gc;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The orphan sweep's memory and its decision, without I/O: a reservation in a pool's ledger is released only once
 * nobody has held it for the orphan TTL — by the caches at every sweep since it was first found unheld — and a
 * fresh read (asked last, since it costs requests) confirms it. Keys are {@code pool/reservationId}; one sweep is
 * {@link #beginSweep} … {@link #check}s … {@link #endSweep}, on one thread.
 */
final class OrphanTracker {
    /** What to do with a reservation now. */
    enum Verdict {
        /** Someone holds it: keep it, and forget it was ever unheld. */
        HELD,
        /** Unheld for less than the TTL so far: look again next sweep. */
        WAITING,
        /** Unheld for the TTL and confirmed by a fresh read: release it. */
        ORPHANED
    }

    private final Duration ttl;
    /** key → when a sweep first found it unheld in the caches (since then, never held). */
    private final Map<String, Instant> unheldSince = new HashMap<>();
    private final Set<String> seen = new HashSet<>();

    OrphanTracker(Duration ttl) {
        this.ttl = ttl;
    }

    void beginSweep() {
        seen.clear();
    }

    /**
     * Decides about one ledger entry at {@code now}: {@code heldInCache} is the caches' answer, {@code heldFresh}
     * the API server's, asked only when the TTL has passed.
     */
    Verdict check(String key, boolean heldInCache, BooleanSupplier heldFresh, Instant now) {
        seen.add(key);
        if (heldInCache) {
            unheldSince.remove(key);
            return Verdict.HELD;
        }
        Instant since = unheldSince.computeIfAbsent(key, k -> now);
        if (Duration.between(since, now).compareTo(ttl) < 0) {
            return Verdict.WAITING;
        }
        if (!heldFresh.getAsBoolean()) {
            return Verdict.ORPHANED; // remembered until its release is done: a failed release is retried next sweep
        }
        unheldSince.remove(key);
        return Verdict.HELD;
    }

    /** The entry's release is done: forget it. */
    void released(String key) {
        unheldSince.remove(key);
    }

    /** Forgets the entries this sweep did not see (released, or their pool gone or unreadable). */
    void endSweep() {
        unheldSince.keySet().retainAll(seen);
    }

    /** How many entries are waiting out their TTL. */
    int waiting() {
        return unheldSince.size();
    }
}
