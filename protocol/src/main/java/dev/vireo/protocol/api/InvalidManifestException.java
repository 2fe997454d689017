package dev.vireo.protocol.api;

/** Bad input: {@code field} names where (dotted path, e.g. {@code spec.cpu.cores}), or is null. */
public class InvalidManifestException extends RuntimeException {

    private final String field;

    public InvalidManifestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
