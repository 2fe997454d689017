package dev.vireo.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one Vireo process, shown by {@code /metrics} in Prometheus' text format. */
public final class VireoMetrics {

    private final LongAdder eventsPersisted = new LongAdder();
    private final LongAdder commandsRefused = new LongAdder();
    private final LongAdder vmsRecovered = new LongAdder();
    private final Map<Integer, LongAdder> httpResponses = new ConcurrentHashMap<>();

    public void eventsPersisted(int count) {
        eventsPersisted.add(count);
    }

    public void commandRefused() {
        commandsRefused.increment();
    }

    /** A VM entity that exists finished replaying its log (at start, or when it was woken again). */
    public void vmRecovered() {
        vmsRecovered.increment();
    }

    public long vmsRecovered() {
        return vmsRecovered.sum();
    }

    public void httpResponse(int status) {
        httpResponses.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    public long eventsPersisted() {
        return eventsPersisted.sum();
    }

    public long commandsRefused() {
        return commandsRefused.sum();
    }

    public Map<Integer, LongAdder> httpResponses() {
        return httpResponses;
    }
}
