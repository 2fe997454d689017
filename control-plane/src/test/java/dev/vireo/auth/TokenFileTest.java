package dev.vireo.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.auth.User;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {

    @Test
    void readsKubernetesStaticTokenLinesWithQuotedGroups() {
        Map<String, User> users = TokenFile.parse(List.of("# comment", "",
                "t1,alice,1001,\"team-a,vireo:admins\"", "t2,bob,1002", "t3,carol,1003,devs"));
        assertEquals(new User("alice", "1001", Set.of("team-a", "vireo:admins")), users.get("t1"));
        assertEquals(new User("bob", "1002", Set.of()), users.get("t2"));
        assertEquals(Set.of("devs"), users.get("t3").groups());
    }

    @Test
    void aLineWithoutUserOrUidIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenFile.parse(List.of("t1,alice,1", "t2")));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aChangedFileIsReadAgainAndABrokenOneLetsNobodyIn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens.csv");
        Files.writeString(file, "t1,alice,1\nt2,bob,2\n");
        TokenFile tokens = new TokenFile(file);
        assertEquals("bob", tokens.authenticate("t2").orElseThrow().name());
        Files.writeString(file, "t1,alice,1\n");
        assertEquals(Optional.empty(), tokens.authenticate("t2"));
        Files.writeString(file, "t1\n");
        assertEquals(Optional.empty(), tokens.authenticate("t1"));
        Files.delete(file);
        assertEquals(Optional.empty(), tokens.authenticate("t1"));
    }

    @Test
    void theBootstrapFileIsMadeOnceForTheAdminAndOnlyItsOwnerReadsIt(@TempDir Path dir) throws Exception {
        Path file = BootstrapTokens.ensure(dir, "");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String token = BootstrapTokens.adminToken(file);
        assertEquals(64, token.length());
        assertEquals(file, BootstrapTokens.ensure(dir, "other"));
        assertEquals(token, BootstrapTokens.adminToken(file), "kept as it is on later starts");
        assertTrue(new TokenFile(file).authenticate(token).orElseThrow().isAdmin());
    }
}
