package dev.vireo.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * N subscribers on one server-sent-events stream, for measuring it at little cost to the machine it
 * shares with the server: plain HTTP/1.1 over non-blocking sockets, all served by one selector thread,
 * one read buffer for all, and no thread hand-off per event. Bytes are framed (chunked, or until the
 * server closes) and split into lines in place; only a {@code data:} line is decoded into a String.
 * Each event's data goes to the {@link Listener} on the selector thread, with the time of the read
 * that completed it.
 *
 * <p>A subscriber whose connection fails, is answered other than 200 or is ended by the server is lost:
 * {@link #throwIfLost} says so. {@link #close} ends every connection.
 */
final class SseSubscribers implements AutoCloseable {

    /** Receives the events; runs on the selector thread, so it should be quick. */
    @FunctionalInterface
    interface Listener {
        /**
         * One event: its data lines joined by newlines, and the wall clock when its last bytes were read.
         * What this throws loses the subscriber.
         */
        void onEvent(int subscriber, String data, Instant arrival) throws Exception;
    }

    private record Loss(int subscriber, int events, Throwable cause) {
    }

    private record Connection(SocketChannel channel, ByteBuffer request, Stream stream) {
    }

    private final Selector selector;
    private final List<Connection> connections = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    private final Thread thread = new Thread(this::run, "sse-subscribers");
    private volatile boolean closing;
    /** Written by the selector thread only. */
    private volatile int lost;
    private volatile Loss firstLoss;

    private SseSubscribers(Selector selector) {
        this.selector = selector;
    }

    /**
     * Opens {@code count} connections to {@code GET path} on host:port, with {@code Authorization: Bearer token}
     * unless {@code token} is null, and starts reading them.
     */
    static SseSubscribers open(String host, int port, String path, String token, int count, Listener listener)
            throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UnknownHostException(host);
        }
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + (token == null ? "" : "\r\nAuthorization: Bearer " + token)
                + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        SseSubscribers subscribers = new SseSubscribers(Selector.open());
        try {
            for (int i = 0; i < count; i++) {
                SocketChannel channel = SocketChannel.open();
                Connection c = new Connection(channel, ByteBuffer.wrap(request), new Stream(i, listener));
                subscribers.connections.add(c);
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                boolean connected = channel.connect(address);
                channel.register(subscribers.selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, c);
            }
        } catch (IOException | RuntimeException e) {
            subscribers.connections.forEach(c -> closeQuietly(c.channel()));
            closeQuietly(subscribers.selector);
            throw e;
        }
        subscribers.thread.setDaemon(true);
        subscribers.thread.start();
        return subscribers;
    }

    /** How many subscribers have been lost so far. */
    int lost() {
        return lost;
    }

    /** Fails, naming the first, if any subscriber has been lost. */
    void throwIfLost() {
        int n = lost;
        if (n > 0) {
            Loss first = firstLoss;
            throw new IllegalStateException(n + " of " + connections.size() + " SSE subscribers lost; subscriber "
                    + first.subscriber() + " after " + first.events() + " events: " + first.cause(), first.cause());
        }
    }

    @Override
    public void close() {
        closing = true;
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        try {
            while (!closing) {
                selector.select();
                for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    Connection c = (Connection) key.attachment();
                    try {
                        ready(key, c);
                    } catch (Exception e) {
                        lose(c, e);
                    }
                }
            }
        } catch (Throwable e) {
            for (Connection c : connections) {
                if (c.channel().isOpen()) {
                    lose(c, e);
                }
            }
        } finally {
            connections.forEach(c -> closeQuietly(c.channel()));
            closeQuietly(selector);
        }
    }

    private void ready(SelectionKey key, Connection c) throws Exception {
        if (key.isConnectable()) {
            if (c.channel().finishConnect()) {
                key.interestOps(SelectionKey.OP_WRITE);
            }
        } else if (key.isWritable()) {
            c.channel().write(c.request());
            if (!c.request().hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        } else if (key.isReadable()) {
            read(c);
        }
    }

    private void read(Connection c) throws Exception {
        int n;
        do {
            buffer.clear();
            n = c.channel().read(buffer);
            if (n > 0) {
                // the arrival is the read, before any parsing
                c.stream().received(buffer.array(), 0, n, Instant.now());
            }
        } while (n == buffer.capacity());
        if (n < 0) {
            throw new EOFException("the server closed the connection");
        }
    }

    private void lose(Connection c, Throwable cause) {
        closeQuietly(c.channel());
        if (closing) {
            return;
        }
        if (firstLoss == null) {
            firstLoss = new Loss(c.stream().subscriber, c.stream().events, cause);
        }
        lost = lost + 1;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    /**
     * The bytes of one response as they come, in pieces cut anywhere: the status line and headers, then
     * the body's framing, then the event stream's lines and events (WHATWG rules: fields until a blank
     * line, data lines joined with newlines, comments and other fields ignored, an event with empty data
     * not dispatched: that is the server's heartbeat).
     */
    static final class Stream {
        private static final int HEAD = 0;
        private static final int CHUNK_SIZE = 1;
        private static final int CHUNK_EXTENSION = 2;
        private static final int CHUNK_DATA = 3;
        private static final int CHUNK_END = 4;
        private static final int UNTIL_CLOSE = 5;
        private static final int MAX_HEAD = 64 * 1024;

        private final int subscriber;
        private final Listener listener;
        private int state = HEAD;
        /** In CHUNK_SIZE the size read so far, in CHUNK_DATA the bytes of the chunk still to come. */
        private long chunk;
        /** The head until it is complete, then the start of a line that a piece cut. */
        private byte[] pending = new byte[1024];
        private int pendingLength;
        /** A piece ended in CR: a LF starting the next one belongs to the same line end. */
        private boolean skipLf;
        /** The current event's data so far, null before its first data line. */
        private String data;
        private int events;

        Stream(int subscriber, Listener listener) {
            this.subscriber = subscriber;
            this.listener = listener;
        }

        /** Takes the next piece, {@code bytes[from, to)}, read at {@code arrival}; throws when the stream is over. */
        void received(byte[] bytes, int from, int to, Instant arrival) throws Exception {
            int i = from;
            while (i < to) {
                switch (state) {
                    case HEAD -> i = head(bytes, i, to);
                    case CHUNK_SIZE -> {
                        byte b = bytes[i++];
                        int digit = Character.digit(b & 0xff, 16);
                        if (digit >= 0) {
                            if (chunk > Integer.MAX_VALUE) {
                                throw new IOException("chunk size too large");
                            }
                            chunk = chunk << 4 | digit;
                        } else if (b == ';' || b == ' ' || b == '\t') {
                            state = CHUNK_EXTENSION;
                        } else if (b == '\n') {
                            chunkStarts();
                        } else if (b != '\r') {
                            throw new IOException("bad chunk size byte " + b);
                        }
                    }
                    case CHUNK_EXTENSION -> {
                        if (bytes[i++] == '\n') {
                            chunkStarts();
                        }
                    }
                    case CHUNK_DATA -> {
                        int n = (int) Math.min(chunk, to - i);
                        lines(bytes, i, i + n, arrival);
                        i += n;
                        chunk -= n;
                        if (chunk == 0) {
                            state = CHUNK_END;
                        }
                    }
                    case CHUNK_END -> {
                        byte b = bytes[i++];
                        if (b == '\n') {
                            state = CHUNK_SIZE;
                        } else if (b != '\r') {
                            throw new IOException("chunk not followed by CRLF");
                        }
                    }
                    default -> {
                        lines(bytes, i, to, arrival);
                        i = to;
                    }
                }
            }
        }

        private void chunkStarts() throws EOFException {
            if (chunk == 0) {
                throw new EOFException("the server ended the stream (last chunk)");
            }
            state = CHUNK_DATA;
        }

        /** Collects the head until its blank line, checks it; answers where the body starts. */
        private int head(byte[] bytes, int from, int to) throws IOException {
            int before = pendingLength;
            append(bytes, from, to);
            for (int i = Math.max(0, before - 3); i + 3 < pendingLength; i++) {
                if (pending[i] == '\r' && pending[i + 1] == '\n' && pending[i + 2] == '\r' && pending[i + 3] == '\n') {
                    String head = new String(pending, 0, i, StandardCharsets.ISO_8859_1);
                    pendingLength = 0;
                    state = framing(head);
                    return from + (i + 4 - before);
                }
            }
            if (pendingLength > MAX_HEAD) {
                throw new IOException("no end of the response head in " + pendingLength + " bytes");
            }
            return to;
        }

        private static int framing(String head) throws IOException {
            String[] lines = head.split("\r\n");
            String[] status = lines[0].split(" ", 3);
            if (status.length < 2 || !status[0].startsWith("HTTP/1.") || !status[1].equals("200")) {
                throw new IOException("answered \"" + lines[0] + "\"");
            }
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0 && lines[i].substring(0, colon).trim().equalsIgnoreCase("Transfer-Encoding")
                        && lines[i].substring(colon + 1).toLowerCase(Locale.ROOT).contains("chunked")) {
                    return CHUNK_SIZE;
                }
            }
            return UNTIL_CLOSE;
        }

        /** Splits {@code bytes[from, to)} of the event stream into lines (LF, CRLF or CR ended). */
        private void lines(byte[] bytes, int from, int to, Instant arrival) throws Exception {
            int start = from;
            if (skipLf && start < to) {
                skipLf = false;
                if (bytes[start] == '\n') {
                    start++;
                }
            }
            for (int i = start; i < to; i++) {
                byte b = bytes[i];
                if (b == '\n' || b == '\r') {
                    if (pendingLength == 0) {
                        line(bytes, start, i, arrival);
                    } else {
                        append(bytes, start, i);
                        int length = pendingLength;
                        pendingLength = 0;
                        line(pending, 0, length, arrival);
                    }
                    if (b == '\r') {
                        if (i + 1 == to) {
                            skipLf = true;
                        } else if (bytes[i + 1] == '\n') {
                            i++;
                        }
                    }
                    start = i + 1;
                }
            }
            append(bytes, start, to);
        }

        private void line(byte[] bytes, int from, int to, Instant arrival) throws Exception {
            if (from == to) {
                String complete = data;
                data = null;
                if (complete != null && !complete.isEmpty()) {
                    events++;
                    listener.onEvent(subscriber, complete, arrival);
                }
            } else if (to - from >= 4 && bytes[from] == 'd' && bytes[from + 1] == 'a' && bytes[from + 2] == 't'
                    && bytes[from + 3] == 'a' && (to - from == 4 || bytes[from + 4] == ':')) {
                int value = Math.min(from + 5, to);
                if (value < to && bytes[value] == ' ') {
                    value++;
                }
                String line = new String(bytes, value, to - value, StandardCharsets.UTF_8);
                data = data == null ? line : data + '\n' + line;
            }
            // else a comment (":..."), or a field that means nothing here (event, id, retry)
        }

        private void append(byte[] bytes, int from, int to) {
            int n = to - from;
            if (n == 0) {
                return;
            }
            if (pendingLength + n > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + n));
            }
            System.arraycopy(bytes, from, pending, pendingLength, n);
            pendingLength += n;
        }
    }
}
