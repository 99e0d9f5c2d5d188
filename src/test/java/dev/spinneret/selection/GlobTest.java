package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class GlobTest {
    @Test
    void syntax() {
        assertTrue(Glob.compile("*").matches(""));
        assertTrue(Glob.compile("*").matches("anything"));
        assertTrue(Glob.compile("web-*").matches("web-"));
        assertTrue(Glob.compile("web-*").matches("web-1"));
        assertFalse(Glob.compile("web-*").matches("web"));
        assertTrue(Glob.compile("*-v4").matches("a-v4-b-v4"));
        assertFalse(Glob.compile("*-v4").matches("a-v4-b-v6"));
        assertTrue(Glob.compile("a*b*c").matches("axxbyyc"));
        assertFalse(Glob.compile("a*b*c").matches("axxbyy"));
        assertTrue(Glob.compile("p?").matches("p1"));
        assertFalse(Glob.compile("p?").matches("p"));
        assertFalse(Glob.compile("p?").matches("p12"));
        assertTrue(Glob.compile("pool-[0-9]").matches("pool-7"));
        assertFalse(Glob.compile("pool-[0-9]").matches("pool-a"));
        assertTrue(Glob.compile("pool-[^0-9]").matches("pool-a"));
        assertTrue(Glob.compile("pool-[!0-9]").matches("pool-a"));
        assertFalse(Glob.compile("pool-[!0-9]").matches("pool-3"));
        assertTrue(Glob.compile("x[a-]").matches("x-"));
        assertTrue(Glob.compile("a.b").matches("a.b"));
        assertFalse(Glob.compile("a.b").matches("axb"));
        assertTrue(Glob.compile("a+b").matches("a+b"));
        assertFalse(Glob.compile("a+b").matches("aab"));
        // what a regular expression class would have made of it: [a&&[b]] is a literal class here
        assertTrue(Glob.compile("x[&]").matches("x&"));
    }

    @Test
    void malformedPatternsAreRefused() {
        assertThrows(AnnotationException.class, () -> Glob.compile("pool-[ab"));
        assertThrows(AnnotationException.class, () -> Glob.compile("pool-[]"));
        assertThrows(AnnotationException.class, () -> Glob.compile("pool-[!]"));
        assertThrows(AnnotationException.class, () -> Glob.compile("pool-[z-a]"));
        assertThrows(AnnotationException.class, () -> Glob.compile("*".repeat(Glob.MAX_LENGTH + 1)));
    }

    /** The pattern of issue 21 kept a regex-based matcher busy for good; here it is answered at once. */
    @Test
    void pathologicalPatternsMatchInBoundedTime() {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            String name = "a".repeat(253);
            for (String p : new String[] { "************************Z", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*Z",
                    "?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*b", "*".repeat(253),
                    "a*".repeat(126) + "b" }) {
                Glob g = Glob.compile(p);
                for (int i = 0; i < 1000; i++) {
                    g.matches(name);
                }
            }
            assertFalse(Glob.compile("************************Z").matches(name));
            assertTrue(Glob.compile("************************a").matches(name));
            assertFalse(Glob.compile("a*".repeat(126) + "b").matches(name));
        });
    }

    /** Against java.util.regex on random short inputs: the same answers (for the syntax both understand). */
    @Test
    void agreesWithARegularExpressionOnRandomInputs() {
        Random r = new Random(21);
        String alphabet = "ab-";
        String[] atoms = { "a", "b", "-", "*", "?", "[ab]", "[!a]", "[a-b]" };
        for (int t = 0; t < 20_000; t++) {
            StringBuilder pat = new StringBuilder();
            StringBuilder re = new StringBuilder();
            for (int k = r.nextInt(7); k > 0; k--) {
                String a = atoms[r.nextInt(atoms.length)];
                pat.append(a);
                re.append(switch (a) {
                    case "*" -> ".*";
                    case "?" -> ".";
                    case "[!a]" -> "[^a]";
                    case "-" -> "\\-";
                    default -> a;
                });
            }
            StringBuilder name = new StringBuilder();
            for (int k = r.nextInt(8); k > 0; k--) {
                name.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            boolean want = Pattern.compile(re.toString()).matcher(name).matches();
            if (Glob.compile(pat.toString()).matches(name.toString()) != want) {
                throw new AssertionError("pattern " + pat + " on " + name + ": expected " + want);
            }
        }
    }
}
