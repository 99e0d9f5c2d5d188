package dev.spinneret.admission;

/**
 * The user's mistake: becomes {@code allowed: false} with this message. The message starts with the field path
 * (e.g. {@code spec.ips[1]: ...}) and, for conflicts, names the other object.
 */
public class AdmissionDenied extends RuntimeException {
    private final int code;
    private final String reason;

    public AdmissionDenied(String message) {
        this(422, "Invalid", message);
    }

    public AdmissionDenied(int code, String reason, String message) {
        super(message, null, false, false);
        this.code = code;
        this.reason = reason;
    }

    public static AdmissionDenied field(String path, String message) {
        return new AdmissionDenied(path + ": " + message);
    }

    public static AdmissionDenied forbidden(String message) {
        return new AdmissionDenied(403, "Forbidden", message);
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }
}
