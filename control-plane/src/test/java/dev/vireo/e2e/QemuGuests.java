package dev.vireo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the real-guest tests look at: a VM's console and history over the API, and its QEMU processes. */
final class QemuGuests {

    private QemuGuests() {
    }

    /** The console of {@code name} once it shows {@code expected}. */
    static String awaitConsole(Api api, String name, String expected, Duration within) {
        return Eventually.get("the console of " + name + " to show " + expected, within,
                () -> api.get(Api.vm(name) + "/console?follow=false"),
                r -> r.status() == 200 && r.text().contains(expected)).text();
    }

    /** The types of {@code name}'s history, in order. */
    static List<String> eventTypes(Api api, String name) {
        List<String> types = new ArrayList<>();
        for (JsonNode e : api.history(name)) {
            types.add(e.path("type").asText());
        }
        return types;
    }

    /** The QEMU processes running {@code domain} (libvirt names the guest on QEMU's command line). */
    static List<Long> qemuPids(String domain) {
        String out = run("pgrep", "-f", "guest=" + domain + ",");
        List<Long> pids = new ArrayList<>();
        if (out != null) {
            out.lines().filter(l -> !l.isBlank()).forEach(l -> pids.add(Long.parseLong(l.trim())));
        }
        return pids;
    }

    /** Runs a command; its standard output, or null when it failed or could not run. */
    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.getErrorStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
