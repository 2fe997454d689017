package dev.vireo.bench;

import java.util.Collection;

/** Percentiles of a set of latencies in milliseconds (nearest-rank). */
record Latencies(double p50, double p95, double p99, double max, int count) {

    static Latencies of(Collection<Double> millis) {
        double[] sorted = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            return new Latencies(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
        return new Latencies(rank(sorted, 50), rank(sorted, 95), rank(sorted, 99), sorted[sorted.length - 1],
                sorted.length);
    }

    private static double rank(double[] sorted, double percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    @Override
    public String toString() {
        return String.format("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)", p50, p95, p99, max, count);
    }
}
