package dev.vireo.node;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.UUID;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * Not a test: a main that measures what libvirt's own calls for a start and a stop cost this JVM on the test
 * driver, without anything of Vireo around them, for docs/benchmarks.md: the floor under the control plane's
 * CPU per transition. Arg: cycles per round (define, start, info, destroy, undefine).
 */
public final class LibvirtCostMeasurement {

    public static void main(String[] args) throws LibvirtException {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Connect connect = new Connect("test:///default");
        for (int round = 1; round <= 2; round++) { // the first round warms the JIT up
            long cpu = os.getProcessCpuTime();
            long wall = System.nanoTime();
            for (int i = 0; i < cycles; i++) {
                Domain d = connect.domainDefineXML("<domain type='test'><name>cost-" + i + "</name><uuid>"
                        + UUID.randomUUID() + "</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                        + "<os><type>hvm</type></os></domain>");
                d.create();
                d.getInfo();
                d.destroy();
                d.undefine();
                d.free();
            }
            double cpuMs = (os.getProcessCpuTime() - cpu) / 1e6 / cycles;
            System.out.printf("round %d: %d cycles, CPU %.3f ms a cycle = %.3f ms a transition (start or stop),"
                    + " wall %.3f ms a cycle%n", round, cycles, cpuMs, cpuMs / 2, (System.nanoTime() - wall) / 1e6 / cycles);
        }
        connect.close();
    }
}
