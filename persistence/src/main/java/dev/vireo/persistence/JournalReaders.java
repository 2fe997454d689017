package dev.vireo.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The threads that replay VM logs for the journal: each keeps one connection of its own. A restart replays
 * hundreds of logs at once, and borrowing a pooled connection for each of their queries (on a dispatcher shared
 * with other blocking work) cost more CPU than the queries' own bookkeeping (docs/benchmarks.md). The database
 * is embedded, so its queries are CPU: a few threads keep every core busy.
 */
final class JournalReaders implements AutoCloseable {

    private final Supplier<Connection> connections;
    private final ExecutorService threads;
    private final ThreadLocal<Connection> connection = new ThreadLocal<>();
    private final List<Connection> opened = new ArrayList<>();

    JournalReaders(Supplier<Connection> connections, int threads) {
        this.connections = connections;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "vireo-journal-reader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code work} on a reader's connection; a connection that failed with an SQLException is replaced. */
    <T> CompletionStage<T> read(JournalDatabase.Work<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            Connection c = connection.get();
            try {
                if (c == null) {
                    c = connections.get();
                    connection.set(c);
                    synchronized (opened) {
                        opened.add(c);
                    }
                }
                return work.apply(c);
            } catch (SQLException e) {
                forget(c);
                throw new IllegalStateException("journal replay: " + e.getMessage(), e);
            }
        }, threads);
    }

    private void forget(Connection c) {
        connection.remove();
        if (c == null) {
            return;
        }
        synchronized (opened) {
            opened.remove(c);
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // it failed already; the pool replaces it
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
        synchronized (opened) {
            for (Connection c : opened) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
            opened.clear();
        }
    }
}
