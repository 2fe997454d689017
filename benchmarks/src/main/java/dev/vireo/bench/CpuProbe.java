package dev.vireo.bench;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * How fast one core of this machine is right now: SHA-256 over a fixed buffer on one thread, in MB/s. A shared
 * virtual machine's cores vary from day to day (the same journal alone took twice the CPU per event on two days
 * of 2026-12); figures of runs on different days compare only next to this one. It runs in the benchmark's JVM and
 * follows its JIT: C2 hashes with the processor's SHA instructions, C1 (bin/bench on 2 cores) in plain Java, about
 * twelve times slower; compare runs of the same JIT only.
 */
final class CpuProbe {

    private static final int BUFFER = 1 << 20;
    private static final int ROUNDS = 128;

    private CpuProbe() {
    }

    /** The best of three measurements of {@value #ROUNDS} MiB each, after a warm-up. */
    static double sha256MegabytesPerSecond() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] data = new byte[BUFFER];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            hash(sha, data, 16);
            double best = 0;
            for (int trial = 0; trial < 3; trial++) {
                long start = System.nanoTime();
                hash(sha, data, ROUNDS);
                best = Math.max(best, ROUNDS * (BUFFER / 1e6) / ((System.nanoTime() - start) / 1e9));
            }
            return best;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static void hash(MessageDigest sha, byte[] data, int rounds) {
        for (int i = 0; i < rounds; i++) {
            sha.update(data);
        }
        sha.digest();
    }
}
