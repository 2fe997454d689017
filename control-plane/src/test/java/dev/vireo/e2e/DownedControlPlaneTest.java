package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A control plane whose actor system ends without being asked to stop (here: the cluster downs it, through Pekko's
 * own cluster MBean) exits with status 70, instead of lingering as a process with no actor system and no API, which
 * is what the split-brain resolver's "down all when unstable" once left behind.
 */
class DownedControlPlaneTest {

    @TempDir
    Path dir;

    @Test
    void aControlPlaneDownedByTheClusterExitsSoThatItsSupervisorStartsItAgain() throws Exception {
        Path log = dir.resolve("vireo.log");
        try (VireoProcess vireo = VireoProcess.start(dir.resolve("data"), log)) {
            VirtualMachine jvm = VirtualMachine.attach(Long.toString(vireo.pid()));
            try (JMXConnector jmx = JMXConnectorFactory.connect(new JMXServiceURL(jvm.startLocalManagementAgent()))) {
                MBeanServerConnection beans = jmx.getMBeanServerConnection();
                Set<ObjectName> cluster = beans.queryNames(new ObjectName("pekko:type=Cluster,*"), null);
                assertEquals(1, cluster.size(), cluster::toString);
                ObjectName bean = cluster.iterator().next();
                String self = (String) beans.getAttribute(bean, "Leader");
                assertTrue(self.startsWith("pekko://"), self);
                beans.invoke(bean, "down", new Object[] {self}, new String[] {String.class.getName()});
            } catch (java.io.IOException | javax.management.JMException ended) {
                // the JVM may go before the call returns
            } finally {
                try {
                    jvm.detach();
                } catch (java.io.IOException gone) {
                    // it exited
                }
            }
            assertEquals(70, vireo.awaitExit(Duration.ofSeconds(60)), vireo::tail);
            String output = Files.readString(log);
            assertTrue(output.contains("its actor system ended"), output);
        }
    }
}
