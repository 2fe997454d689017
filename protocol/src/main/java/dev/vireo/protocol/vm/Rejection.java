package dev.vireo.protocol.vm;

/** Why a command was refused: {@code code} maps to the HTTP status, {@code field} names bad input. */
public record Rejection(Code code, String message, String field) {

    public enum Code {
        /** 404 */ NotFound,
        /** 409 */ AlreadyExists,
        /** 409: illegal in the VM's current phase */ IllegalTransition,
        /** 409 */ StaleResourceVersion
    }

    public static Rejection notFound(VmId id) {
        return new Rejection(Code.NotFound, "virtualmachine " + id + " not found", null);
    }

    public static Rejection illegal(String message) {
        return new Rejection(Code.IllegalTransition, message, null);
    }
}
