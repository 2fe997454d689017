package dev.vireo.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --wait} and how long to wait. */
public final class WaitOptions {
    @Option(names = "--wait", description = "Follow the VM and print each phase change until it gets there.")
    boolean wait;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", converter = DurationConverter.class,
            description = "How long --wait waits, e.g. 90s, 5m (default: ${DEFAULT-VALUE}).")
    Duration timeout;
}
