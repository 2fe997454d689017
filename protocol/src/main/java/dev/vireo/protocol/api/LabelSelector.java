package dev.vireo.protocol.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Kubernetes label selector, as lists take it in {@code ?labelSelector=}: requirements separated by commas,
 * all of which must hold. {@code key=value} and {@code key==value}, {@code key!=value} (also true without the
 * label), {@code key} (the label exists), {@code !key} (it does not), {@code key in (a,b)} and
 * {@code key notin (a,b)} (also true without the label).
 */
public final class LabelSelector {

    static final String FIELD = "labelSelector";
    /** Everything matches. */
    public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

    private enum Operator { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private record Requirement(String key, Operator operator, Set<String> values) {
        boolean matches(Map<String, String> labels) {
            String value = labels.get(key);
            return switch (operator) {
                case Equals, In -> value != null && values.contains(value);
                case NotEquals, NotIn -> value == null || !values.contains(value);
                case Exists -> value != null;
                case DoesNotExist -> value == null;
            };
        }
    }

    private final List<Requirement> requirements;

    private LabelSelector(List<Requirement> requirements) {
        this.requirements = requirements;
    }

    /** The selector {@code text} writes; empty or null selects everything. */
    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            return EVERYTHING;
        }
        return new LabelSelector(new Parser(text).requirements());
    }

    public boolean matches(Map<String, String> labels) {
        for (Requirement requirement : requirements) {
            if (!requirement.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    public boolean selectsEverything() {
        return requirements.isEmpty();
    }

    /** A hand-written reader of the grammar: small, and its errors say where the selector went wrong. */
    private static final class Parser {
        private final String text;
        private int at;

        Parser(String text) {
            this.text = text;
        }

        List<Requirement> requirements() {
            List<Requirement> requirements = new ArrayList<>();
            do {
                requirements.add(requirement());
                skipSpaces();
            } while (take(","));
            if (at < text.length()) {
                throw invalid("unexpected \"" + text.substring(at) + "\"");
            }
            return List.copyOf(requirements);
        }

        private Requirement requirement() {
            skipSpaces();
            if (take("!")) {
                return new Requirement(key(), Operator.DoesNotExist, Set.of());
            }
            String key = key();
            skipSpaces();
            if (take("==") || take("=")) {
                return new Requirement(key, Operator.Equals, Set.of(value()));
            }
            if (take("!=")) {
                return new Requirement(key, Operator.NotEquals, Set.of(value()));
            }
            if (takeWord("notin")) {
                return new Requirement(key, Operator.NotIn, values());
            }
            if (takeWord("in")) {
                return new Requirement(key, Operator.In, values());
            }
            if (at == text.length() || text.charAt(at) == ',') {
                return new Requirement(key, Operator.Exists, Set.of());
            }
            throw invalid("after the key \"" + key + "\" comes \"" + text.substring(at) + "\"; use =, ==, !=, in (…) or"
                    + " notin (…), or the key alone for \"has this label\"");
        }

        private Set<String> values() {
            skipSpaces();
            if (!take("(")) {
                throw invalid("in and notin take a list of values in parentheses, e.g. env in (prod,staging)");
            }
            Set<String> values = new LinkedHashSet<>();
            do {
                values.add(value());
                skipSpaces();
            } while (take(","));
            if (!take(")")) {
                throw invalid("the list of values is not closed with \")\"");
            }
            return Set.copyOf(values);
        }

        private String key() {
            skipSpaces();
            String key = word();
            if (key.isEmpty()) {
                throw invalid("a requirement has no label key");
            }
            String problem = LabelSyntax.keyProblem(key);
            if (problem != null) {
                throw invalid(problem);
            }
            return key;
        }

        private String value() {
            skipSpaces();
            String value = word();
            String problem = LabelSyntax.valueProblem(value);
            if (problem != null) {
                throw invalid(problem);
            }
            return value;
        }

        private String word() {
            int start = at;
            while (at < text.length() && "=!,() ".indexOf(text.charAt(at)) < 0) {
                at++;
            }
            return text.substring(start, at);
        }

        private boolean takeWord(String word) {
            if (text.startsWith(word, at) && (at + word.length() == text.length()
                    || "( ".indexOf(text.charAt(at + word.length())) >= 0)) {
                at += word.length();
                return true;
            }
            return false;
        }

        private boolean take(String token) {
            if (text.startsWith(token, at)) {
                at += token.length();
                return true;
            }
            return false;
        }

        private void skipSpaces() {
            while (at < text.length() && text.charAt(at) == ' ') {
                at++;
            }
        }

        private InvalidManifestException invalid(String why) {
            return new InvalidManifestException(FIELD, "labelSelector " + Limits.shown(text) + " is not valid: " + why);
        }
    }
}
