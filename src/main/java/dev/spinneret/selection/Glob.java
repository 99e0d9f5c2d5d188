package dev.spinneret.selection;

import java.util.regex.Pattern;

/** Pool-name patterns with {@code *}, {@code ?} and {@code [...]} as in Spiderpool (Go's filepath.Match). */
public final class Glob {
    private final String text;
    private final Pattern pattern;

    private Glob(String text, Pattern pattern) {
        this.text = text;
        this.pattern = pattern;
    }

    public static boolean isPattern(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    public static Glob compile(String text) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int end = text.indexOf(']', i + 1);
                    if (end < 0) {
                        throw new AnnotationException("pool name pattern \"" + text + "\" has an unclosed '['");
                    }
                    String cls = text.substring(i + 1, end);
                    if (cls.isEmpty() || cls.equals("^") || cls.equals("!")) {
                        throw new AnnotationException("pool name pattern \"" + text + "\" has an empty [] class");
                    }
                    if (cls.startsWith("^") || cls.startsWith("!")) {
                        cls = "^" + cls.substring(1);
                    }
                    re.append('[').append(cls.replace("\\", "\\\\")).append(']');
                    i = end;
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new Glob(text, Pattern.compile(re.toString()));
    }

    public boolean matches(String name) {
        return pattern.matcher(name).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
