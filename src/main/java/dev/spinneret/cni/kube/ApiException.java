package dev.spinneret.cni.kube;

/** A non-success HTTP status from the API server, with the Status reason/message when present. */
public final class ApiException extends Exception {
    public final int status;
    public final String reason;

    public ApiException(int status, String reason, String message) {
        super(message);
        this.status = status;
        this.reason = reason;
    }

    /** 429, 5xx: worth retrying later. */
    public boolean retryable() {
        return status == 429 || status >= 500;
    }
}
