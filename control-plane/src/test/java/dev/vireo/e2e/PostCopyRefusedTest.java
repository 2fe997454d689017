package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Where the cluster does not allow post-copy (the default: its nodes' QEMU may not use userfaultfd, as on a host
 * with {@code vm.unprivileged_userfaultfd = 0}), a migrate request asking for it is refused with 409 naming
 * {@code postCopy} and saying why, and nothing is recorded; pre-copy goes on as before.
 */
class PostCopyRefusedTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    @Test
    void postCopyIsRefusedWith409NamingTheFieldAndSayingWhy() {
        Api api = vireo.api();
        String name = PostCopyPolicyTest.running(api, "pc-refused");
        Api.Response refused = PostCopyPolicyTest.migrate(api, name, "{\"postCopy\": true}");
        assertEquals(409, refused.status(), refused::toString);
        assertEquals("postCopy", refused.at("/field").asText(), refused::toString);
        assertTrue(refused.at("/message").asText().contains("userfaultfd"), refused::toString);
        assertTrue(refused.at("/message").asText().contains("vireo.migration.post-copy-allowed"), refused::toString);
        assertFalse(QemuGuests.eventTypes(api, name).contains("MigrationRequested"), "nothing was recorded");
        JsonNode preCopy = PostCopyPolicyTest.recordedPolicy(api, name,
                PostCopyPolicyTest.migrate(api, name, "{\"postCopy\": false}"));
        assertFalse(preCopy.path("postCopy").asBoolean(), preCopy::toString);
    }
}
