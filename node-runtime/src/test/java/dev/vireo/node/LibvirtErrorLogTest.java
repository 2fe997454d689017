package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.LibvirtException;
import org.slf4j.LoggerFactory;

/** libvirt's error reports reach the log, not stderr: an expected miss quietly, a real error as a warning. */
class LibvirtErrorLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(LibvirtErrorLog.LOGGER);
    private final ListAppender<ILoggingEvent> seen = new ListAppender<>();
    private Level levelBefore;
    private Hypervisor hypervisor;

    @BeforeEach
    void listen() throws LibvirtException {
        levelBefore = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        seen.start();
        logger.addAppender(seen);
        hypervisor = Hypervisor.open("test:///default", "node-errors", Path.of("target/errors-test"));
    }

    @AfterEach
    void stopListening() {
        hypervisor.closeQuietly((domain, event) -> 0);
        logger.detachAppender(seen);
        logger.setLevel(levelBefore);
    }

    @Test
    void aLookupOfAMissingDomainIsLoggedAtDebugOnly() throws LibvirtException {
        assertTrue(hypervisor.lookup("no-such-domain-here").isEmpty());
        assertTrue(events(Level.DEBUG).stream().anyMatch(m -> m.contains("Domain not found")), seen.list::toString);
        assertTrue(events(Level.WARN).isEmpty(), seen.list::toString);
    }

    @Test
    void aRealErrorIsStillThrownAndLoggedAsAWarning() {
        assertThrows(LibvirtException.class, () -> hypervisor.define("<domain type='test'><name>broken"));
        assertTrue(!events(Level.WARN).isEmpty(), seen.list::toString);
    }

    private List<String> events(Level level) {
        return seen.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
