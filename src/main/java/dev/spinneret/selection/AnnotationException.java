package dev.spinneret.selection;

/** A malformed {@code ipam.spidernet.io/*} annotation; the message quotes the value and the expected shape. */
public class AnnotationException extends IllegalArgumentException {
    public AnnotationException(String message) {
        super(message);
    }
}
