package dev.vireo.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real kubectl binary, with a kubeconfig and a discovery cache of its own (recipes/kubernetes.md). */
public final class Kubectl {

    public static final Path BINARY = Path.of("/usr/bin/kubectl");

    public record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + ": " + out.strip() + (err.isBlank() ? "" : " / " + err.strip());
        }
    }

    private final Path kubeconfig;
    private final Path cacheDir;

    public Kubectl(Path kubeconfig, Path cacheDir) {
        this.kubeconfig = kubeconfig;
        this.cacheDir = cacheDir;
    }

    public Run run(String... args) {
        List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--kubeconfig", kubeconfig.toString(),
                "--cache-dir", cacheDir.toString(), "--request-timeout", "10s"));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(cacheDir, "out", ".txt");
            Path err = Files.createTempFile(cacheDir, "err", ".txt");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 30 s");
            }
            Run run = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return run;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs it and fails the test unless it exits 0. */
    public Run ok(String... args) {
        Run r = run(args);
        assertEquals(0, r.exit(), "kubectl " + String.join(" ", args) + ": " + r);
        return r;
    }

    /** {@code kubectl apply} of a manifest given as text. */
    public Run apply(String yaml) {
        try {
            Path file = Files.createTempFile(cacheDir, "manifest", ".yaml");
            Files.writeString(file, yaml);
            return ok("apply", "-f", file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One field of one resource through kubectl's JSONPath, e.g. {@code field("vmim", "m1", ".status.phase")}. */
    public String field(String kind, String name, String jsonPath) {
        return run("get", kind, name, "-o", "jsonpath={" + jsonPath + "}").out().strip();
    }
}
