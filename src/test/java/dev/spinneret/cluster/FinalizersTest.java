package dev.spinneret.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class FinalizersTest {
    static final String POOL = "spiderpool.spidernet.io/ippool";
    static final String LEGACY = "spiderpool.spidernet.io";

    @Test
    void theLegacyFinalizerIsReplacedInPlaceAndOthersStay() {
        assertEquals(List.of("a/b", POOL, "c/d"), Finalizers.migrated(List.of("a/b", LEGACY, "c/d"), POOL));
        assertEquals(List.of(POOL), Finalizers.migrated(List.of(LEGACY, POOL), POOL));
        assertEquals(List.of(POOL), Finalizers.migrated(null, POOL));
        assertEquals(List.of("x/y", POOL), Finalizers.migrated(List.of("x/y"), POOL));
        assertEquals(List.of(POOL), Finalizers.migrated(List.of(POOL), POOL));
    }

    @Test
    void eitherNameHoldsTheObject() {
        assertTrue(Finalizers.held(List.of(LEGACY), POOL));
        assertTrue(Finalizers.held(List.of("x/y", POOL), POOL));
        assertFalse(Finalizers.held(List.of("x/y"), POOL));
        assertFalse(Finalizers.held(null, POOL));
        assertFalse(Finalizers.held(List.of("spiderpool.spidernet.io/subnet"), POOL));
    }

    @Test
    void releaseRemovesBothAndNothingElse() {
        assertEquals(List.of("x/y"), Finalizers.released(List.of(LEGACY, "x/y", POOL), POOL));
        assertEquals(List.of(), Finalizers.released(null, POOL));
    }
}
