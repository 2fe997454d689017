package dev.vireo.cli;

/** An error answer of the Vireo API: {@code {"code","message","field"}} with its HTTP status. */
public final class ApiError extends CommandFailure {
    private final int status;
    private final String code;
    private final String field;

    public ApiError(int status, String code, String message, String field) {
        super(REJECTED, message);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }

    @Override
    public String render() {
        String line = "error: " + getMessage();
        return field == null || field.isBlank() ? line : line + " (field: " + field + ")";
    }
}
