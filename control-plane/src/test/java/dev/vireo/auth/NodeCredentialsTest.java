package dev.vireo.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeCredentialsTest {

    @Test
    void linesAreNameCommaTokenWithCommentsAndBlankLinesSkipped() {
        assertEquals(Map.of("alpha", "s3cret", "beta", "t0ken"),
                NodeCredentials.parse(List.of("# name,token", "", "alpha, s3cret", "beta,t0ken ")));
    }

    @Test
    void aBadLineIsRefusedNamingIt() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeCredentials.parse(List.of("alpha")))
                .getMessage().contains("line 1: expected name,token"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeCredentials.parse(List.of("Alpha,x")))
                .getMessage().contains("DNS-1123"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeCredentials.parse(List.of("a,x", "a,y")))
                .getMessage().contains("line 2: node a is named twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeCredentials.parse(List.of("a,")))
                .getMessage().contains("needs one token"));
    }
}
