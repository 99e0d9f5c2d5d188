package dev.spinneret.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class PodNamesTest {
    @Test
    void aNamedPodKeepsItsName() {
        assertNull(PodNames.generateIfUnnamed("web", "web-"));
    }

    @Test
    void anUnnamedPodWithoutGenerateNameIsLeftToTheApiServer() {
        assertNull(PodNames.generateIfUnnamed(null, null));
        assertNull(PodNames.generateIfUnnamed("", ""));
    }

    @Test
    void generatedNamesLookLikeTheApiServersAndDiffer() {
        String a = PodNames.generateIfUnnamed(null, "nginx-5d8c7b-");
        String b = PodNames.generateIfUnnamed("", "nginx-5d8c7b-");
        assertTrue(a.matches("nginx-5d8c7b-[bcdfghjklmnpqrstvwxz2456789]{5}"), a);
        assertTrue(b.matches("nginx-5d8c7b-[bcdfghjklmnpqrstvwxz2456789]{5}"), b);
        java.util.Set<String> many = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            many.add(PodNames.generateIfUnnamed(null, "p-"));
        }
        assertTrue(many.size() > 990, "random suffixes repeat too often: " + many.size());
    }

    @Test
    void aLongPrefixIsCutSoTheNameFitsSixtyThreeCharacters() {
        String name = PodNames.generateIfUnnamed(null, "x".repeat(80));
        assertEquals(63, name.length());
        assertTrue(name.startsWith("x".repeat(58)));
    }

    @Test
    void podNamesAreCheckedAsTheApiServerChecksThem() {
        for (String ok : new String[] { "web", "web-7d9f-bcdfg", "a.b", "0", "x".repeat(63) }) {
            assertTrue(PodNames.valid(ok), ok);
        }
        for (String bad : new String[] { "", "Web", "web_1", "-web", "web-", "a..b", ".a", "x".repeat(64),
                "a/b", "a b" }) {
            assertTrue(!PodNames.valid(bad), bad);
        }
    }
}
