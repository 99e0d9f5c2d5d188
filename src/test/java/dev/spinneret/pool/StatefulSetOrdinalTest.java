package dev.spinneret.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class StatefulSetOrdinalTest {
    @Test
    void theDecimalSuffixAfterTheSetsNameAndADash() {
        assertEquals(0, StatefulSetOrdinal.of("web", "web-0"));
        assertEquals(1, StatefulSetOrdinal.of("web", "web-1"));
        assertEquals(10, StatefulSetOrdinal.of("web", "web-10"));
        assertEquals(Integer.MAX_VALUE, StatefulSetOrdinal.of("web", "web-2147483647"));
        assertEquals(3, StatefulSetOrdinal.of("web-1", "web-1-3"));
    }

    @Test
    void anythingElseIsNotAnOrdinal() {
        for (String name : new String[] { "web-01", "web-00", "web-+1", "web--1", "web-1x", "web-", "web", "web1",
                "web-1 ", "web-١", "web-2147483648", "web-99999999999", "webx-1", "we-1", "WEB-1", "web-0x1",
                "web-1e3" }) {
            assertEquals(-1, StatefulSetOrdinal.of("web", name), name);
        }
        assertEquals(-1, StatefulSetOrdinal.of("we", "web-1"));
        assertEquals(-1, StatefulSetOrdinal.of("", "-1"));
        assertEquals(-1, StatefulSetOrdinal.of(null, "web-1"));
        assertEquals(-1, StatefulSetOrdinal.of("web", null));
    }
}
