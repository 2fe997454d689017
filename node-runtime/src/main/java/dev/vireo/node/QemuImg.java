package dev.vireo.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The two {@code qemu-img} calls the node needs: what a base image is, and a copy-on-write overlay on it. */
final class QemuImg {

    private static final long TIMEOUT_SECONDS = 60;
    private static final ObjectMapper JSON = new ObjectMapper();

    private QemuImg() {
    }

    /** What {@code qemu-img info} says of a base image. */
    record Info(String format, String backingFile) {
    }

    static Info info(Path image) throws IOException {
        // -U: the base may be open in running guests (as their backing file); reading its header is safe.
        String out = run("qemu-img", "info", "-U", "--output=json", image.toString());
        JsonNode json = JSON.readTree(out);
        JsonNode backing = json.get("backing-filename");
        return new Info(json.path("format").asText(null), backing == null ? null : backing.asText());
    }

    /** Creates a qcow2 overlay whose backing file is {@code base} (never written: QEMU writes the overlay). */
    static void createOverlay(Path base, String baseFormat, Path overlay) throws IOException {
        run("qemu-img", "create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", base.toString(), overlay.toString());
    }

    /**
     * Points {@code copy} (a qcow2 overlay made on another node) at the backing file {@code like} has here, when the
     * two differ: the header only ({@code rebase -u}), the data is the same base image's.
     */
    static void backLike(Path copy, Path like) throws IOException {
        JsonNode here = JSON.readTree(run("qemu-img", "info", "-U", "--output=json", like.toString()));
        JsonNode there = JSON.readTree(run("qemu-img", "info", "-U", "--output=json", copy.toString()));
        String backing = here.path("backing-filename").asText(null);
        if (backing == null || backing.equals(there.path("backing-filename").asText(null))) {
            return;
        }
        run("qemu-img", "rebase", "-u", "-F", here.path("backing-filename-format").asText("qcow2"), "-b", backing,
                copy.toString());
    }

    private static String run(String... command) throws IOException {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        byte[] output;
        try {
            output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " was interrupted", e);
        }
        String text = new String(output, StandardCharsets.UTF_8).trim();
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", new ArrayList<>(List.of(command))) + " failed (exit "
                    + process.exitValue() + "): " + text);
        }
        return text;
    }
}
