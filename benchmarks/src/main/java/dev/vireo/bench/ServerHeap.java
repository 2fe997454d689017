package dev.vireo.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server's live heap, read from outside with {@code jcmd <pid> GC.class_histogram}: that command runs
 * a full GC first and then counts every live object, so its total is the heap in use after GC.
 */
final class ServerHeap {

    /** Live bytes per class, and their total under {@link #TOTAL}. */
    record Histogram(Map<String, Long> bytesByClass) {
        static final String TOTAL = "<total>";

        long total() {
            return bytesByClass.get(TOTAL);
        }

        /** The classes that grew most from {@code before} to this one, largest first. */
        List<Map.Entry<String, Long>> grownSince(Histogram before, int top) {
            Map<String, Long> diff = new HashMap<>();
            bytesByClass.forEach((k, v) -> {
                if (!k.equals(TOTAL)) {
                    diff.put(k, v - before.bytesByClass.getOrDefault(k, 0L));
                }
            });
            return diff.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                    .limit(top).toList();
        }
    }

    private ServerHeap() {
    }

    static Histogram histogram(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
        Map<String, Long> bytes = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] f = line.trim().split("\\s+");
                // " 1:  12345  678901  java.lang.String (java.base@17)"  and  "Total  123456  7890123"
                if (f.length >= 4 && f[0].endsWith(":")) {
                    bytes.merge(f[3], Long.parseLong(f[2]), Long::sum);
                } else if (f.length == 3 && f[0].equals("Total")) {
                    bytes.put(Histogram.TOTAL, Long.parseLong(f[2]));
                }
            }
        }
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0 || !bytes.containsKey(Histogram.TOTAL)) {
            throw new IllegalStateException("jcmd " + pid + " GC.class_histogram gave no total");
        }
        return new Histogram(bytes);
    }
}
