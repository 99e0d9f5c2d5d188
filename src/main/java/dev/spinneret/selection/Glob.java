package dev.spinneret.selection;

/**
 * Pool-name patterns with {@code *}, {@code ?} and {@code [...]} as in Spiderpool (Go's filepath.Match): {@code *}
 * any run of characters, {@code ?} one character, {@code [abc]}, {@code [a-z]} one character of the class,
 * {@code [^...]} or {@code [!...]} one character not in it; everything else (a backslash too) stands for itself.
 *
 * <p>No regular expression and no backtracking: the pattern is compiled into single-character steps (runs of
 * {@code *} collapsed into one) and run as a nondeterministic automaton whose states are kept as a bit set, so a name
 * of n characters is read once, with ⌈(m+1)/64⌉ word operations per character for a pattern of m steps: O(n·m/64),
 * linear in the name. With the caps ({@link #MAX_LENGTH} on the pattern; Kubernetes object names have at most 253
 * characters) that is at most ~1,000 word operations per pool name, whatever the input: a pattern like
 * {@code ************************Z} against a long name costs what any other pattern does.
 * Instances cache per-character masks and are not shared between threads.
 */
public final class Glob {
    /** The longest pattern accepted: a Kubernetes object name is at most 253 characters. */
    public static final int MAX_LENGTH = 253;

    private static final byte LITERAL = 0;
    private static final byte ANY = 1;
    private static final byte CLASS = 2;
    private static final byte STAR = 3;

    private final String text;
    private final byte[] kinds;
    private final char[] chars;
    /** For CLASS steps: pairs of inclusive ranges, and whether the class is negated. */
    private final char[][] ranges;
    private final boolean[] negated;
    /** Bit i set when step i is a star. */
    private final long[] starMask;
    /** Per ASCII character, the steps that accept it; filled as characters are met. */
    private final long[][] ascii = new long[128][];

    private Glob(String text, byte[] kinds, char[] chars, char[][] ranges, boolean[] negated) {
        this.text = text;
        this.kinds = kinds;
        this.chars = chars;
        this.ranges = ranges;
        this.negated = negated;
        this.starMask = new long[(kinds.length + 1 + 63) >>> 6];
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] == STAR) {
                starMask[i >>> 6] |= 1L << (i & 63);
            }
        }
    }

    public static boolean isPattern(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    public static Glob compile(String text) {
        if (text.length() > MAX_LENGTH) {
            throw new AnnotationException("pool name pattern \"" + text.substring(0, 40) + "...\" is " + text.length()
                    + " characters long; at most " + MAX_LENGTH + " (the longest pool name) are allowed");
        }
        int n = text.length();
        byte[] kinds = new byte[n];
        char[] chars = new char[n];
        char[][] ranges = new char[n][];
        boolean[] negated = new boolean[n];
        int steps = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '*' -> {
                    if (steps == 0 || kinds[steps - 1] != STAR) { // a run of stars is one star
                        kinds[steps++] = STAR;
                    }
                }
                case '?' -> kinds[steps++] = ANY;
                case '[' -> {
                    int end = text.indexOf(']', i + 1);
                    if (end < 0) {
                        throw new AnnotationException("pool name pattern \"" + text + "\" has an unclosed '['");
                    }
                    String cls = text.substring(i + 1, end);
                    boolean neg = cls.startsWith("^") || cls.startsWith("!");
                    if (neg) {
                        cls = cls.substring(1);
                    }
                    if (cls.isEmpty()) {
                        throw new AnnotationException("pool name pattern \"" + text + "\" has an empty [] class");
                    }
                    ranges[steps] = classRanges(text, cls);
                    negated[steps] = neg;
                    kinds[steps++] = CLASS;
                    i = end;
                }
                default -> {
                    kinds[steps] = LITERAL;
                    chars[steps++] = c;
                }
            }
        }
        return new Glob(text, java.util.Arrays.copyOf(kinds, steps), java.util.Arrays.copyOf(chars, steps),
                java.util.Arrays.copyOf(ranges, steps), java.util.Arrays.copyOf(negated, steps));
    }

    /** {@code a-z0_} as the ranges a..z, 0..0, _.._ (flattened pairs). */
    private static char[] classRanges(String text, String cls) {
        StringBuilder out = new StringBuilder();
        for (int j = 0; j < cls.length(); j++) {
            char lo = cls.charAt(j);
            char hi = lo;
            if (j + 2 < cls.length() && cls.charAt(j + 1) == '-') {
                hi = cls.charAt(j + 2);
                if (hi < lo) {
                    throw new AnnotationException("pool name pattern \"" + text + "\" has the reversed range " + lo
                            + "-" + hi + " in a [] class");
                }
                j += 2;
            }
            out.append(lo).append(hi);
        }
        return out.toString().toCharArray();
    }

    /**
     * Runs the pattern as a nondeterministic automaton over the name, all states at once: state i means "the first
     * i steps have matched"; bit sets of {@code (steps + 1)} bits, one pass over the name.
     */
    public boolean matches(String name) {
        int m = kinds.length;
        int words = (m + 1 + 63) >>> 6;
        long[] cur = new long[words];
        long[] next = new long[words];
        cur[0] = 1L;
        closure(cur);
        for (int s = 0; s < name.length(); s++) {
            long[] accept = accepting(name.charAt(s));
            long carry = 0;
            boolean any = false;
            for (int w = 0; w < words; w++) {
                long moving = cur[w] & accept[w] & ~starMask[w]; // a matching step advances by one
                next[w] = (moving << 1) | carry | (cur[w] & starMask[w]); // a star stays and swallows c
                carry = moving >>> 63;
                any |= next[w] != 0;
            }
            if (!any) {
                return false;
            }
            closure(next);
            long[] t = cur;
            cur = next;
            next = t;
        }
        return (cur[m >>> 6] & (1L << (m & 63))) != 0;
    }

    /** A star may also match nothing: an active star state activates the state after it (stars are collapsed). */
    private void closure(long[] states) {
        long carry = 0;
        for (int w = 0; w < states.length; w++) {
            long stars = states[w] & starMask[w];
            long shifted = (stars << 1) | carry;
            carry = stars >>> 63;
            states[w] |= shifted;
        }
    }

    /** The steps that accept {@code c}: computed once per ASCII character, each time for others. */
    private long[] accepting(char c) {
        long[] mask = c < 128 ? ascii[c] : null;
        if (mask != null) {
            return mask;
        }
        mask = new long[starMask.length];
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] != STAR && one(i, c)) {
                mask[i >>> 6] |= 1L << (i & 63);
            }
        }
        if (c < 128) {
            ascii[c] = mask;
        }
        return mask;
    }

    private boolean one(int step, char c) {
        return switch (kinds[step]) {
            case LITERAL -> chars[step] == c;
            case ANY -> true;
            default -> {
                char[] r = ranges[step];
                boolean in = false;
                for (int k = 0; k < r.length && !in; k += 2) {
                    in = c >= r[k] && c <= r[k + 1];
                }
                yield in != negated[step];
            }
        };
    }

    @Override
    public String toString() {
        return text;
    }
}
