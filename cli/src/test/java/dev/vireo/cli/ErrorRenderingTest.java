package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ErrorRenderingTest {
    @Test
    void anApiErrorShowsTheServersMessageAndField() {
        ApiError e = VireoClient.errorOf(400,
                "{\"code\":\"Invalid\",\"message\":\"spec.memory must be a quantity\",\"field\":\"spec.memory\"}");
        assertEquals("error: spec.memory must be a quantity (field: spec.memory)", e.render());
        assertEquals("Invalid", e.code());
        assertEquals(CommandFailure.REJECTED, e.exitCode());
    }

    @Test
    void anErrorWithoutFieldHasNoFieldPart() {
        assertEquals("error: virtualmachine default/x not found",
                VireoClient.errorOf(404, "{\"code\":\"NotFound\",\"message\":\"virtualmachine default/x not found\",\"field\":null}").render());
        assertEquals("error: nope", VireoClient.errorOf(409, "{\"message\":\"nope\",\"field\":\"\"}").render());
    }

    @Test
    void aBodyThatIsNotAnErrorDocumentIsStillReadable() {
        assertEquals("error: the server answered HTTP 502: Bad Gateway", VireoClient.errorOf(502, "Bad Gateway\n<html>").render());
        assertEquals("error: the server answered HTTP 500", VireoClient.errorOf(500, "").render());
    }

    @Test
    void dataIsSummarisedOnOneShortLine() throws Exception {
        assertEquals("reason=\"guest shut down\" node=a", DataSummary.of(Formats.JSON.readTree(
                "{\"reason\":\"guest shut down\",\"node\":\"a\",\"none\":null}")));
        assertEquals("disks=[2] boot={}", DataSummary.of(Formats.JSON.readTree("{\"disks\":[1,2],\"boot\":{}}")));
        String longLine = DataSummary.of(Formats.JSON.readTree("{\"message\":\"" + "x".repeat(100) + "\"}"));
        assertEquals(DataSummary.MAX, longLine.length());
        assertEquals("", DataSummary.of(null));
    }
}
