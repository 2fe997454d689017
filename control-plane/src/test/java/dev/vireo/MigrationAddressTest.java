package dev.vireo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code vireo node --migration-address}: an address of this host that the other nodes dial, or a refusal saying why. */
class MigrationAddressTest {

    @Test
    void anAddressOfThisHostIsTaken() {
        assertNull(MigrationAddress.problem("127.0.0.1"));
        assertNull(MigrationAddress.problem("127.0.0.2"), "all of 127/8 is this host's loopback");
        assertNull(MigrationAddress.problem("localhost"));
    }

    @Test
    void anAddressThatCannotBeListenedOnOrDialledIsRefusedWithTheReason() {
        assertTrue(MigrationAddress.problem("0.0.0.0").contains("cannot be dialled"));
        assertTrue(MigrationAddress.problem("::1").contains("not an IPv4 address or a host name"));
        assertTrue(MigrationAddress.problem("tcp://10.0.0.1").contains("not an IPv4 address or a host name"));
        assertTrue(MigrationAddress.problem("192.0.2.77").contains("not an address of this host"),
                "192.0.2.0/24 is for documentation: no host has it");
        assertTrue(MigrationAddress.problem("no-such-host.invalid").contains("does not resolve"));
    }

    @Test
    void theNodeCommandRefusesABadMigrationAddressBeforeStarting() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = new CommandLine(new NodeCommand()).execute("--name", "n1", "--seed", "127.0.0.1:2552",
                    "--migration-address", "0.0.0.0");
        } finally {
            System.setErr(old);
        }
        assertEquals(64, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--migration-address 0.0.0.0 listens everywhere"),
                err::toString);
    }
}
