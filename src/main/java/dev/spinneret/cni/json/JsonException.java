package dev.spinneret.cni.json;

/** Malformed JSON; the message says what and where (line/column). */
public final class JsonException extends Exception {
    public JsonException(String message) {
        super(message);
    }
}
