package dev.vireo.protocol.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {

    private static final Map<String, String> WEB_PROD = Map.of("app", "web", "env", "prod");
    private static final Map<String, String> DB_DEV = Map.of("app", "db", "env", "dev", "vireo.dev/tier", "back");
    private static final Map<String, String> UNLABELLED = Map.of();

    private static List<Boolean> matches(String selector) {
        LabelSelector s = LabelSelector.parse(selector);
        return List.of(s.matches(WEB_PROD), s.matches(DB_DEV), s.matches(UNLABELLED));
    }

    @Test
    void noSelectorSelectsEverything() {
        assertEquals(List.of(true, true, true), matches(null));
        assertEquals(List.of(true, true, true), matches(""));
        assertTrue(LabelSelector.parse(" ").selectsEverything());
    }

    @Test
    void equalityInBothSpellingsNeedsTheLabel() {
        assertEquals(List.of(true, false, false), matches("app=web"));
        assertEquals(List.of(true, false, false), matches("app==web"));
        assertEquals(List.of(false, true, false), matches("app = db , env=dev"));
    }

    @Test
    void inequalityAlsoSelectsWhatHasNoSuchLabel() {
        assertEquals(List.of(false, true, true), matches("app!=web"));
    }

    @Test
    void existsAndDoesNotExist() {
        assertEquals(List.of(true, true, false), matches("env"));
        assertEquals(List.of(false, false, true), matches("!env"));
        assertEquals(List.of(false, true, false), matches("vireo.dev/tier"));
    }

    @Test
    void setBasedRequirements() {
        assertEquals(List.of(true, true, false), matches("env in (prod, dev)"));
        assertEquals(List.of(true, false, false), matches("env in (prod)"));
        assertEquals(List.of(false, true, true), matches("env notin (prod)"));
        assertEquals(List.of(false, true, false), matches("env notin (prod),app"));
    }

    @Test
    void everyRequirementMustHold() {
        assertEquals(List.of(true, false, false), matches("app=web,env in (prod,staging),!missing"));
    }

    @Test
    void aMalformedSelectorIsBadInputNamingTheField() {
        for (String bad : List.of("app=we b", "app in prod", "app in (web", "=web", "app=web,", ",", "app>3", "-app=x",
                "app=web!", "app=" + "x".repeat(64), "Bad_Prefix/app=x")) {
            InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> LabelSelector.parse(bad), bad);
            assertEquals("labelSelector", e.field(), bad);
            assertTrue(e.getMessage().contains("labelSelector"), e.getMessage());
        }
    }

    @Test
    void anEmptyValueIsAValue() {
        LabelSelector empty = LabelSelector.parse("env=");
        assertTrue(empty.matches(Map.of("env", "")));
        assertFalse(empty.matches(WEB_PROD));
    }
}
