package dev.vireo.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token file a Vireo without {@code --tokens} uses: {@code <data>/tokens.csv}, made on the first start
 * (mode 0600) with one token for user {@code admin} in group {@code vireo:admins}; kept as it is afterwards.
 */
public final class BootstrapTokens {

    private static final Logger log = LoggerFactory.getLogger(BootstrapTokens.class);

    public static final String FILE_NAME = "tokens.csv";
    public static final String ADMIN = "admin";

    private BootstrapTokens() {
    }

    /**
     * {@code <dataDir>/tokens.csv}, created first if missing, with {@code token} for admin (a random one when
     * blank: {@code vireo.auth.bootstrap-token} lets automation know it in advance).
     */
    public static Path ensure(Path dataDir, String token) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return file;
        }
        String value = token == null || token.isBlank() ? random() : token.strip();
        String content = "# Vireo's bearer tokens: token,user,uid,\"group1,group2\" (Kubernetes' static token file)\n"
                + value + "," + ADMIN + "," + ADMIN + ",\"" + dev.vireo.protocol.auth.User.ADMINS_GROUP + "\"\n";
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            return file;
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        log.info("wrote a token for user {} (group {}) to {}: give it as Authorization: Bearer TOKEN",
                ADMIN, dev.vireo.protocol.auth.User.ADMINS_GROUP, file);
        return file;
    }

    /** The admin token in a bootstrap file ({@code null} if there is none). */
    public static String adminToken(Path tokens) throws IOException {
        return TokenFile.parse(Files.readAllLines(tokens, StandardCharsets.UTF_8)).entrySet().stream()
                .filter(e -> e.getValue().isAdmin())
                .map(java.util.Map.Entry::getKey).findFirst().orElse(null);
    }

    private static String random() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
