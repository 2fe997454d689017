package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void columnsAreLeftAlignedThreeSpacesApartWithoutTrailingBlanks() {
        String table = new Table("NAME", "STATUS", "NODE").row("web-1", "Running", "local").row("db", "Stopped", "x").render();
        assertEquals("""
                NAME    STATUS    NODE
                web-1   Running   local
                db      Stopped   x
                """, table);
    }

    @Test
    void emptyCellsShowNone() {
        assertEquals("A        B\nx        <none>\n<none>   y\n",
                new Table("A", "B").row("x", null).row("", "y").render());
    }

    @Test
    void vmTableShowsStatusNodeIncarnationAndAge() throws Exception {
        JsonNode vm = Formats.JSON.readTree("""
                {"metadata":{"name":"web-1","creationTimestamp":"2025-01-01T10:00:00Z"},
                 "status":{"printableStatus":"Running","node":"local","incarnation":3}}""");
        JsonNode stopped = Formats.JSON.readTree("""
                {"metadata":{"name":"db","creationTimestamp":"2025-01-01T11:00:00Z"},
                 "status":{"printableStatus":"Stopped","incarnation":0}}""");
        assertEquals("""
                NAME    STATUS    NODE     INCARNATION   AGE
                web-1   Running   local    3             120m
                db      Stopped   <none>   0             60m
                """, GetCommand.table(List.of(vm, stopped), Instant.parse("2025-01-01T12:00:00Z")));
    }

    @Test
    void historyTableShortensUuidRequestIdsAndSummarisesData() throws Exception {
        JsonNode items = Formats.JSON.readTree("""
                [{"seqNr":1,"timestamp":"2025-01-01T10:00:00.123456Z","type":"VmCreated","principal":"anonymous",
                  "requestId":"0f3a9c1e-aaaa-bbbb-cccc-000000000000","data":{"uid":"u1","spec":{"memory":"128Mi"}}},
                 {"seqNr":2,"timestamp":"2025-01-01T10:00:01Z","type":"Scheduled","principal":"anonymous",
                  "requestId":"node-local-7","data":{"node":"local","incarnation":1}}]""");
        assertEquals("""
                SEQ   TIME                   TYPE        PRINCIPAL   REQUEST        DATA
                1     2025-01-01T10:00:00Z   VmCreated   anonymous   0f3a9c1e       uid=u1 spec={…}
                2     2025-01-01T10:00:01Z   Scheduled   anonymous   node-local-7   node=local incarnation=1
                """, HistoryCommand.table(items));
    }

    @Test
    void nodeTableShowsStateCordonAllocationOfCapacityAndWhy() throws Exception {
        JsonNode ready = Formats.JSON.readTree("""
                {"name":"n1","state":"Ready","cordoned":true,"hypervisor":"test:///default",
                 "capacity":{"cpus":20,"memoryBytes":2147483648},"allocated":{"cpus":2,"memoryBytes":536870912},
                 "virtualMachines":["default/a","default/b"]}""");
        JsonNode lost = Formats.JSON.readTree("""
                {"name":"n2","state":"NotReady","reason":"its lease renewals are overdue","cordoned":false,
                 "hypervisor":"qemu:///system","capacity":{"cpus":8,"memoryBytes":8589934592},
                 "allocated":{"cpus":0,"memoryBytes":0},"virtualMachines":[]}""");
        assertEquals("""
                NAME   STATUS                     CPU    MEMORY      VMS   HYPERVISOR        REASON
                n1     Ready,SchedulingDisabled   2/20   512Mi/2Gi   2     test:///default   <none>
                n2     NotReady                   0/8    0Mi/8Gi     0     qemu:///system    its lease renewals are overdue
                """, GetCommand.nodeTable(List.of(ready, lost)));
    }
}
