package dev.vireo.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.stream.Collectors;

/** Users of a running Vireo, made as an operator makes them: lines added to (and removed from) its token file. */
final class TokenLines {

    private final Path file;

    TokenLines(Path file) {
        this.file = file;
    }

    /** The token of a new line for {@code user} in {@code groups} (comma-separated, may be empty). */
    String add(String user, String groups) {
        String token = user + "-" + UUID.randomUUID();
        try {
            Files.writeString(file, token + "," + user + "," + UUID.randomUUID() + ",\"" + groups + "\"\n",
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return token;
    }

    /** Takes out the line of {@code token}: the token is revoked. */
    void remove(String token) {
        try {
            String kept = Files.readAllLines(file).stream().filter(l -> !l.startsWith(token + ","))
                    .map(l -> l + "\n").collect(Collectors.joining());
            Files.writeString(file, kept);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
