package dev.vireo.cli;

/**
 * A failure the user should read as one line on stderr, never as a stack trace.
 * Exit codes: 1 the server refused the request, 2 the server could not be reached,
 * 3 a --wait ended in a failure phase, 4 a --wait timed out.
 */
public class CommandFailure extends RuntimeException {
    public static final int REJECTED = 1;
    public static final int UNREACHABLE = 2;
    public static final int WAIT_FAILED = 3;
    public static final int WAIT_TIMED_OUT = 4;

    private final int exitCode;

    public CommandFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The line printed to stderr. */
    public String render() {
        return "error: " + getMessage();
    }
}
