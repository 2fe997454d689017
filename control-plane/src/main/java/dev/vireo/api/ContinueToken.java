package dev.vireo.api;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.vm.VmId;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A list's {@code metadata.continue}: where the next page starts (after the last VM of this one), opaque to
 * clients, who hand it back as {@code ?continue=} with the same query.
 */
final class ContinueToken {

    private static final String VERSION = "v1:";

    private ContinueToken() {
    }

    static String after(VmId last) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((VERSION + last.entityId()).getBytes(StandardCharsets.UTF_8));
    }

    /** The VM a list continues after; {@code namespace}: the list's (null: every namespace). */
    static VmId read(String token, String namespace) {
        VmId last;
        try {
            String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (!text.startsWith(VERSION)) {
                throw new IllegalArgumentException("unknown version");
            }
            last = VmId.parse(text.substring(VERSION.length()));
            ManifestValidator.checkName("continue", last.namespace());
            ManifestValidator.checkName("continue", last.name());
        } catch (IllegalArgumentException | InvalidManifestException e) {
            throw new InvalidManifestException("continue", "continue token " + Limits.shown(token) + " is not one this Vireo gave"
                    + " out; list again without continue, and pass on the metadata.continue of each page");
        }
        if (namespace != null && !namespace.equals(last.namespace())) {
            throw new InvalidManifestException("continue", "continue token " + Limits.shown(token) + " belongs to a list of"
                    + " namespace " + last.namespace() + ", not of " + namespace);
        }
        return last;
    }
}
