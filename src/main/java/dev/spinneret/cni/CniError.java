package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;

import java.util.Map;

/**
 * A CNI error result (spec "Error" object): printed as JSON on stdout, the plugin exits non-zero.
 * Well-known codes from the CNI spec, plus Spinneret-specific codes (100+).
 */
public final class CniError extends Exception {
    public static final int INCOMPATIBLE_VERSION = 1;
    public static final int UNSUPPORTED_FIELD = 2;
    public static final int UNKNOWN_CONTAINER = 3;
    public static final int INVALID_ENV = 4;
    public static final int IO_FAILURE = 5;
    public static final int DECODE_FAILURE = 6;
    public static final int INVALID_NETCONF = 7;
    public static final int TRY_AGAIN_LATER = 11;
    /** The pod carries no reservation (annotation missing, or no entry for CNI_IFNAME). */
    public static final int NO_RESERVATION = 101;
    /** K8S_POD_UID differs from the pod found under that name (pod was recreated). */
    public static final int UID_MISMATCH = 102;
    /** The reservation is no longer held: pool gone, or the pool's ledger maps the address to another owner. */
    public static final int RESERVATION_NOT_HELD = 103;
    /** The pod does not exist in the API server. */
    public static final int POD_NOT_FOUND = 104;
    /** The API server refused or failed the request in a way retrying will not fix (401/403/4xx). */
    public static final int API_ERROR = 105;
    /** The reservation annotation exists but cannot be understood. */
    public static final int BAD_RESERVATION = 106;
    /** CHECK: the runtime's prevResult does not match the reservation. */
    public static final int CHECK_MISMATCH = 107;

    private final int code;
    private final String details;

    public CniError(int code, String msg) {
        this(code, msg, null);
    }

    public CniError(int code, String msg, String details) {
        super(msg);
        this.code = code;
        this.details = details;
    }

    public int code() {
        return code;
    }

    public String details() {
        return details;
    }

    public String toJson(String cniVersion) {
        Map<String, Object> m = Json.obj(
                "cniVersion", cniVersion,
                "code", (long) code,
                "msg", getMessage(),
                "details", details == null ? "" : details);
        return Json.write(m);
    }

    @Override
    public String toString() {
        return "CNI error " + code + ": " + getMessage() + (details == null || details.isEmpty() ? "" : " (" + details + ")");
    }
}
