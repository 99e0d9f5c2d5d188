package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Issue 21, scenario 5 without a cluster: a pool-name pattern of many stars matched against a long pool name must
 * take linear time. On b6a95d3 the glob becomes the regular expression {@code .*.*...Z}; matching it against a
 * 60-character name that does not end in Z backtracks for longer than any webhook timeout (the preemptive timeout
 * fails these tests; the spinning thread is a daemon and dies with the JVM).
 */
@Tag("pure")
class GlobLinearTimeTest {
    static final String LONG_NAME = "trust-a-pool-whose-name-is-long-enough-to-make-backtracking-hurt";

    @Test
    void manyStarsAgainstALongNameAreMatchedAtOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertFalse(Glob.compile("************************Z").matches(LONG_NAME));
            assertFalse(Glob.compile("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*Z").matches("a".repeat(253)));
            assertFalse(Glob.compile("?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*Z").matches(LONG_NAME));
        });
    }

    @Test
    void theLinearMatcherKeepsTheGlobMeaning() {
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertTrue(Glob.compile("************************t").matches(LONG_NAME));
            assertTrue(Glob.compile("trust-*-hurt").matches(LONG_NAME));
            assertTrue(Glob.compile("*pool*name*long*").matches(LONG_NAME));
            assertFalse(Glob.compile("*pool*name*short*").matches(LONG_NAME));
            assertTrue(Glob.compile("t?ust-[a-c]-*").matches(LONG_NAME));
            assertFalse(Glob.compile("t?ust-[!a]-*").matches(LONG_NAME));
            assertTrue(Glob.compile("*").matches(""));
            assertFalse(Glob.compile("?").matches(""));
            assertTrue(Glob.compile("a*").matches("a"));
            assertFalse(Glob.compile("*a").matches("ab"));
        });
    }
}
