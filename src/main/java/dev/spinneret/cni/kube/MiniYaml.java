package dev.spinneret.cni.kube;

import dev.spinneret.cni.json.Json;
import dev.spinneret.cni.json.JsonException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of YAML that kubectl writes for kubeconfig files: block mappings and sequences (including sequences at
 * the same indentation as their key), plain / single-quoted / double-quoted scalars, comments, empty flow collections
 * ({@code {}}, {@code []}), simple JSON-compatible flow collections, literal/folded block scalars, and a leading
 * {@code ---}. Scalars stay strings. Anchors, aliases, tags and multi-document streams are not supported.
 */
final class MiniYaml {
    private static final class Line {
        int indent;
        String text;
        final int number;
        final String rawLine;

        Line(int indent, String text, int number, String rawLine) {
            this.indent = indent;
            this.text = text;
            this.number = number;
            this.rawLine = rawLine;
        }
    }

    private final List<Line> lines = new ArrayList<>();
    private int pos;

    private MiniYaml(String text) throws YamlException {
        String[] raw = text.replace("\r\n", "\n").split("\n", -1);
        for (int n = 0; n < raw.length; n++) {
            String l = raw[n];
            if (l.indexOf('\t') >= 0 && l.trim().length() > 0 && l.substring(0, l.length() - l.stripLeading().length()).indexOf('\t') >= 0) {
                throw new YamlException("tab in indentation at line " + (n + 1));
            }
            String t = l.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                lines.add(new Line(-1, "", n + 1, l)); // placeholder, kept for block scalars
                continue;
            }
            if (t.equals("---") && lines.stream().allMatch(x -> x.indent < 0)) {
                lines.add(new Line(-1, "", n + 1, l));
                continue;
            }
            if (t.equals("...") || t.startsWith("--- ") || t.equals("---")) {
                throw new YamlException("multiple YAML documents are not supported (line " + (n + 1) + ")");
            }
            int ind = l.length() - l.stripLeading().length();
            lines.add(new Line(ind, l.substring(ind).stripTrailing(), n + 1, l));
        }
    }

    static Object parse(String text) throws YamlException {
        MiniYaml y = new MiniYaml(text);
        y.skipBlank();
        if (y.pos >= y.lines.size()) return new LinkedHashMap<String, Object>();
        Object v = y.block(y.lines.get(y.pos).indent);
        y.skipBlank();
        if (y.pos < y.lines.size()) {
            Line l = y.lines.get(y.pos);
            throw new YamlException("unexpected content at line " + l.number + ": '" + l.text + "'");
        }
        return v;
    }

    private void skipBlank() {
        while (pos < lines.size() && lines.get(pos).indent < 0) pos++;
    }

    private Line peek() {
        skipBlank();
        return pos < lines.size() ? lines.get(pos) : null;
    }

    private static boolean isSeqItem(String t) {
        return t.equals("-") || t.startsWith("- ");
    }

    private Object block(int indent) throws YamlException {
        Line l = peek();
        if (isSeqItem(l.text)) return sequence(l.indent);
        if (keyEnd(l.text) >= 0) return mapping(l.indent);
        pos++;
        return scalar(l.text, l);
    }

    private List<Object> sequence(int indent) throws YamlException {
        List<Object> out = new ArrayList<>();
        while (true) {
            Line l = peek();
            if (l == null || l.indent != indent || !isSeqItem(l.text)) break;
            String rest = l.text.substring(1);
            String stripped = rest.stripLeading();
            if (stripped.isEmpty() || stripped.startsWith("#")) {
                pos++;
                Line n = peek();
                if (n != null && n.indent > indent) out.add(block(n.indent));
                else out.add(null);
            } else {
                // re-interpret the rest of the line as a line indented past the dash, and parse it as a block there
                l.indent = indent + 1 + (rest.length() - stripped.length());
                l.text = stripped;
                out.add(block(l.indent));
            }
        }
        return out;
    }

    private Map<String, Object> mapping(int indent) throws YamlException {
        Map<String, Object> out = new LinkedHashMap<>();
        while (true) {
            Line l = peek();
            if (l == null || l.indent < indent) break;
            if (l.indent > indent) throw new YamlException("bad indentation at line " + l.number + ": '" + l.text + "'");
            if (isSeqItem(l.text)) break;
            int ke = keyEnd(l.text);
            if (ke < 0) throw new YamlException("expected 'key: value' at line " + l.number + ": '" + l.text + "'");
            String key = unquoteKey(l.text.substring(0, ke).strip(), l);
            String rest = l.text.substring(ke + 1).strip();
            pos++;
            Object value;
            if (rest.isEmpty() || rest.startsWith("#")) {
                Line n = peek();
                if (n != null && n.indent > indent) value = block(n.indent);
                else if (n != null && n.indent == indent && isSeqItem(n.text)) value = sequence(indent);
                else value = null;
            } else if (rest.startsWith("|") || rest.startsWith(">")) {
                value = blockScalar(rest, indent, l);
            } else {
                value = scalar(rest, l);
            }
            if (out.containsKey(key)) throw new YamlException("duplicate key '" + key + "' at line " + l.number);
            out.put(key, value);
        }
        return out;
    }

    private String blockScalar(String header, int parentIndent, Line at) throws YamlException {
        boolean literal = header.charAt(0) == '|';
        boolean strip = header.contains("-");
        boolean keep = header.contains("+");
        StringBuilder b = new StringBuilder();
        int blockIndent = -1;
        List<String> collected = new ArrayList<>();
        while (pos < lines.size()) {
            Line l = lines.get(pos);
            String raw = l.rawLine;
            int ind = raw.length() - raw.stripLeading().length();
            if (raw.strip().isEmpty()) {
                collected.add("");
                pos++;
                continue;
            }
            if (ind <= parentIndent) break;
            if (blockIndent < 0) blockIndent = ind;
            if (ind < blockIndent) break;
            collected.add(raw.substring(blockIndent));
            pos++;
        }
        int last = collected.size();
        while (last > 0 && collected.get(last - 1).isEmpty()) last--;
        for (int k = 0; k < last; k++) {
            String s = collected.get(k);
            if (k > 0) b.append(literal || s.isEmpty() || collected.get(k - 1).isEmpty() ? "\n" : " ");
            b.append(s);
        }
        if (!strip) b.append('\n');
        if (keep) for (int k = last; k < collected.size(); k++) b.append('\n');
        return b.toString();
    }

    /** Index of the ':' ending a mapping key on this line, or -1. */
    private static int keyEnd(String t) {
        if (t.startsWith("\"") || t.startsWith("'")) {
            char q = t.charAt(0);
            int k = 1;
            while (k < t.length()) {
                char c = t.charAt(k);
                if (q == '"' && c == '\\') {
                    k += 2;
                    continue;
                }
                if (c == q) {
                    if (q == '\'' && k + 1 < t.length() && t.charAt(k + 1) == '\'') {
                        k += 2;
                        continue;
                    }
                    break;
                }
                k++;
            }
            int c = k + 1;
            while (c < t.length() && t.charAt(c) == ' ') c++;
            return c < t.length() && t.charAt(c) == ':' && (c + 1 == t.length() || t.charAt(c + 1) == ' ') ? c : -1;
        }
        if (t.startsWith("{") || t.startsWith("[")) return -1;
        for (int k = 0; k < t.length(); k++) {
            char c = t.charAt(k);
            if (c == '#' && k > 0 && t.charAt(k - 1) == ' ') return -1;
            if (c == ':' && (k + 1 == t.length() || t.charAt(k + 1) == ' ')) return k;
        }
        return -1;
    }

    private static String unquoteKey(String k, Line l) throws YamlException {
        if (k.startsWith("\"") || k.startsWith("'")) return (String) scalar(k, l);
        return k;
    }

    private static Object scalar(String t, Line l) throws YamlException {
        if (t.startsWith("\"")) {
            StringBuilder b = new StringBuilder();
            int k = 1;
            while (true) {
                if (k >= t.length()) throw new YamlException("unterminated double-quoted string at line " + l.number);
                char c = t.charAt(k++);
                if (c == '"') break;
                if (c == '\\') {
                    if (k >= t.length()) throw new YamlException("bad escape at line " + l.number);
                    char e = t.charAt(k++);
                    switch (e) {
                        case 'n': b.append('\n'); break;
                        case 't': b.append('\t'); break;
                        case 'r': b.append('\r'); break;
                        case '0': b.append('\0'); break;
                        case '"': b.append('"'); break;
                        case '\\': b.append('\\'); break;
                        case '/': b.append('/'); break;
                        case ' ': b.append(' '); break;
                        case 'u':
                            if (k + 4 > t.length()) throw new YamlException("bad \\u escape at line " + l.number);
                            try {
                                b.append((char) Integer.parseInt(t.substring(k, k + 4), 16));
                            } catch (NumberFormatException ex) {
                                throw new YamlException("bad \\u escape at line " + l.number);
                            }
                            k += 4;
                            break;
                        default: throw new YamlException("unsupported escape '\\" + e + "' at line " + l.number);
                    }
                } else {
                    b.append(c);
                }
            }
            checkTrailing(t.substring(k), l);
            return b.toString();
        }
        if (t.startsWith("'")) {
            StringBuilder b = new StringBuilder();
            int k = 1;
            while (true) {
                if (k >= t.length()) throw new YamlException("unterminated single-quoted string at line " + l.number);
                char c = t.charAt(k++);
                if (c == '\'') {
                    if (k < t.length() && t.charAt(k) == '\'') {
                        b.append('\'');
                        k++;
                        continue;
                    }
                    break;
                }
                b.append(c);
            }
            checkTrailing(t.substring(k), l);
            return b.toString();
        }
        String v = t;
        int hash = v.indexOf(" #");
        if (hash >= 0) v = v.substring(0, hash).stripTrailing();
        if (v.startsWith("{") || v.startsWith("[")) {
            if (v.equals("{}")) return new LinkedHashMap<String, Object>();
            if (v.equals("[]")) return new ArrayList<Object>();
            try {
                return Json.parse(v);
            } catch (JsonException e) {
                throw new YamlException("unsupported flow collection at line " + l.number + ": " + e.getMessage());
            }
        }
        if (v.equals("~") || v.equals("null")) return null;
        return v;
    }

    private static void checkTrailing(String rest, Line l) throws YamlException {
        String r = rest.strip();
        if (!r.isEmpty() && !r.startsWith("#")) throw new YamlException("unexpected text after quoted string at line " + l.number);
    }

    static final class YamlException extends Exception {
        YamlException(String m) {
            super(m);
        }
    }
}
