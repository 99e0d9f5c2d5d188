package dev.spinneret.selection;

/**
 * Pool-name patterns with {@code *}, {@code ?} and {@code [...]} as in Spiderpool (Go's filepath.Match): {@code *}
 * any run of characters, {@code ?} one character, {@code [abc]}, {@code [a-z]} one character of the class,
 * {@code [^...]} or {@code [!...]} one character not in it; everything else (a backslash too) stands for itself.
 *
 * <p>No regular expression: the pattern is compiled into single-character steps with runs of {@code *} collapsed,
 * and matched by the greedy algorithm that remembers only the last star (a later star makes every earlier choice
 * final). Each character of the name is compared against at most every step once per star restart, so a match costs
 * at most O(n·m) steps for a name of n and a pattern of m characters — with the caps ({@link #MAX_LENGTH} on the
 * pattern; Kubernetes object names have at most 253 characters) about 64,000 comparisons, whatever the input.
 * A pattern like {@code ************************Z} against a long name therefore cannot backtrack exponentially.
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

    private Glob(String text, byte[] kinds, char[] chars, char[][] ranges, boolean[] negated) {
        this.text = text;
        this.kinds = kinds;
        this.chars = chars;
        this.ranges = ranges;
        this.negated = negated;
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

    public boolean matches(String name) {
        int n = name.length();
        int m = kinds.length;
        int p = 0; // next pattern step
        int s = 0; // next name character
        int star = -1; // the step after the last star seen
        int resume = 0; // the name position that star currently swallows up to
        while (s < n) {
            if (p < m && kinds[p] != STAR && one(p, name.charAt(s))) {
                p++;
                s++;
            } else if (p < m && kinds[p] == STAR) {
                star = ++p;
                resume = s;
            } else if (star >= 0) {
                p = star; // let the last star swallow one more character and retry what follows it
                s = ++resume;
            } else {
                return false;
            }
        }
        while (p < m && kinds[p] == STAR) {
            p++;
        }
        return p == m;
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
