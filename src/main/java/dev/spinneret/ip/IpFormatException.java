package dev.spinneret.ip;

/**
 * A user-supplied address, CIDR, range, list or ledger could not be parsed. The message is meant for users: it quotes
 * the offending input and says precisely what is wrong, for example
 * {@code "10.0.0.300" is not a valid IPv4 address: octet 300 is greater than 255}.
 */
public class IpFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Inputs longer than this are shortened in messages (a ledger can be a megabyte long). */
    private static final int MAX_QUOTED_CHARS = 80;

    public IpFormatException(String message) {
        super(message);
    }

    /** Builds {@code "<input>" is not a valid <what>: <reason>}. */
    static IpFormatException invalid(String input, String what, String reason) {
        return new IpFormatException(quote(input) + " is not a valid " + what + ": " + reason);
    }

    /**
     * Quotes user input for an error message: double quotes around it, control and non-ASCII-printable characters
     * escaped, long input shortened with an ellipsis. {@code null} is rendered as {@code null}.
     */
    static String quote(String input) {
        if (input == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(Math.min(input.length(), MAX_QUOTED_CHARS) + 8).append('"');
        int limit = Math.min(input.length(), MAX_QUOTED_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = input.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || Character.isWhitespace(c) && c != ' ') {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        if (input.length() > limit) {
            sb.append("…");
        }
        return sb.append('"').toString();
    }
}
