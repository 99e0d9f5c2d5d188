package dev.spinneret.gc;

import static dev.spinneret.gc.OrphanTracker.Verdict.HELD;
import static dev.spinneret.gc.OrphanTracker.Verdict.ORPHANED;
import static dev.spinneret.gc.OrphanTracker.Verdict.WAITING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The orphan sweep's decision: the TTL, the fresh read asked last, and what a sweep forgets. */
@Tag("pure")
class OrphanTrackerTest {
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");
    private static final BooleanSupplier NEVER_ASKED = () -> fail("no fresh read before the TTL has passed");

    private final OrphanTracker tracker = new OrphanTracker(TTL);

    private OrphanTracker.Verdict sweep(String key, boolean cached, BooleanSupplier fresh, Instant at) {
        tracker.beginSweep();
        OrphanTracker.Verdict v = tracker.check(key, cached, fresh, at);
        tracker.endSweep();
        return v;
    }

    @Test
    void aReservationHeldInTheCachesIsKeptWithoutARequest() {
        assertEquals(HELD, sweep("p/a", true, NEVER_ASKED, T0));
        assertEquals(HELD, sweep("p/a", true, NEVER_ASKED, T0.plus(Duration.ofHours(1))));
        assertEquals(0, tracker.waiting());
    }

    @Test
    void anUnheldReservationWaitsTheTtlThenAFreshReadDecides() {
        AtomicInteger asked = new AtomicInteger();
        assertEquals(WAITING, sweep("p/a", false, NEVER_ASKED, T0));
        assertEquals(WAITING, sweep("p/a", false, NEVER_ASKED, T0.plus(TTL).minusMillis(1)));
        assertEquals(ORPHANED, sweep("p/a", false, () -> asked.incrementAndGet() < 0, T0.plus(TTL)));
        assertEquals(1, asked.get());
    }

    @Test
    void anOrphanWhoseReleaseFailedIsReleasedAgainNextSweepWithoutWaiting() {
        sweep("p/a", false, NEVER_ASKED, T0);
        assertEquals(ORPHANED, sweep("p/a", false, () -> false, T0.plus(TTL)));
        // release not done (e.g. the write failed): the next sweep finds it due at once
        assertEquals(ORPHANED, sweep("p/a", false, () -> false, T0.plus(TTL).plusSeconds(1)));
        tracker.released("p/a");
        assertEquals(0, tracker.waiting());
        assertEquals(WAITING, sweep("p/a", false, NEVER_ASKED, T0.plus(TTL).plusSeconds(2)));
    }

    @Test
    void beingHeldOnceStartsTheWaitAgain() {
        sweep("p/a", false, NEVER_ASKED, T0);
        assertEquals(HELD, sweep("p/a", true, NEVER_ASKED, T0.plusSeconds(30)));
        assertEquals(WAITING, sweep("p/a", false, NEVER_ASKED, T0.plus(TTL)));
        assertEquals(ORPHANED, sweep("p/a", false, () -> false, T0.plus(TTL).plus(TTL)));
    }

    @Test
    void aFreshReadThatFindsAHolderKeepsItAndStartsTheWaitAgain() {
        sweep("p/a", false, NEVER_ASKED, T0);
        assertEquals(HELD, sweep("p/a", false, () -> true, T0.plus(TTL))); // the caches lagged: the pod exists
        assertEquals(0, tracker.waiting());
        assertEquals(WAITING, sweep("p/a", false, NEVER_ASKED, T0.plus(TTL).plusSeconds(1)));
    }

    @Test
    void aSweepForgetsWhatItDidNotSee() {
        sweep("p/a", false, NEVER_ASKED, T0);
        tracker.beginSweep(); // p/a is no longer in any ledger (released elsewhere, or its pool went)
        tracker.check("p/b", true, NEVER_ASKED, T0.plusSeconds(10));
        tracker.endSweep();
        assertEquals(0, tracker.waiting());
        assertEquals(WAITING, sweep("p/a", false, NEVER_ASKED, T0.plus(TTL))); // back: its wait starts over
    }

    @Test
    void sameReservationInTwoPoolsIsTrackedPerPool() {
        tracker.beginSweep();
        assertEquals(WAITING, tracker.check("p/a", false, NEVER_ASKED, T0));
        assertEquals(HELD, tracker.check("q/a", true, NEVER_ASKED, T0));
        tracker.endSweep();
        assertEquals(1, tracker.waiting());
    }

    @Test
    void aZeroTtlAsksTheApiServerAtOnce() {
        OrphanTracker now = new OrphanTracker(Duration.ZERO);
        now.beginSweep();
        assertEquals(ORPHANED, now.check("p/a", false, () -> false, T0));
        assertEquals(HELD, now.check("p/b", false, () -> true, T0));
        now.endSweep();
    }
}
