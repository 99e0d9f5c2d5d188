package dev.spinneret.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("pure")
class OptionalApiTest {
    final AtomicBoolean served = new AtomicBoolean();
    final AtomicInteger starts = new AtomicInteger();
    final OptionalApi api = new OptionalApi("the X API (x/v1)", "X-based selection", served::get, starts::incrementAndGet);

    @Test
    void anAbsentApiIsSaidOnceAndPickedUpWhenItAppears() {
        OptionalApi.Check first = api.check();
        assertFalse(first.started());
        assertEquals(Optional.of("the X API (x/v1) is not served (its CRD is not installed): X-based selection is off"
                + " until it appears"), first.log());
        for (int i = 0; i < 5; i++) {
            assertEquals(new OptionalApi.Check(false, Optional.empty()), api.check(), "said once only");
        }
        assertEquals(0, starts.get(), "no informer while the API is absent");

        served.set(true);
        assertEquals(new OptionalApi.Check(true, Optional.of("the X API (x/v1) appeared: X-based selection is on")),
                api.check());
        assertEquals(new OptionalApi.Check(true, Optional.empty()), api.check());
        assertEquals(1, starts.get(), "started once");
    }

    @Test
    void aServedApiStartsAtOnce() {
        served.set(true);
        OptionalApi.Check c = api.check();
        assertTrue(c.started());
        assertEquals(Optional.of("the X API (x/v1) is served"), c.log());
        assertEquals(1, starts.get());
    }
}
