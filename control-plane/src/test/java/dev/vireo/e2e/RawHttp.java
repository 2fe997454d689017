package dev.vireo.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, byte for byte as given: for requests no HTTP client library would send
 * (malformed heads, unknown methods, lies about lengths) and for clients that misbehave on purpose.
 */
final class RawHttp {

    /** A response as read off the socket: status, head and body text; status 0 when none came. */
    record Answer(int status, String head, String body) {
        boolean isJsonError() {
            return head.toLowerCase(Locale.ROOT).contains("content-type: application/json")
                    && body.contains("\"code\"") && body.contains("\"message\"") && body.contains("\"field\"");
        }

        @Override
        public String toString() {
            return status + " " + head.replace("\r\n", " | ") + " " + body;
        }
    }

    private RawHttp() {
    }

    /**
     * Sends {@code request} on a fresh connection and reads one response (or whatever came before {@code patience}).
     * A request without an {@code Authorization} header gets the tests' admin token after its request line, so
     * that what is tested is the malformed part, not the missing credentials.
     */
    static Answer exchange(int port, byte[] request, Duration patience) {
        request = authorized(request);
        try (Socket socket = connect(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) patience.toMillis());
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (IOException closedEarly) {
                // the server may refuse (and close) before the whole request is written: read what it said
            }
            return read(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Answer exchange(int port, String request) {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(20));
    }

    /** {@code request} with {@code Authorization: Bearer} the admin token after its first line, unless it has one. */
    static byte[] authorized(byte[] request) {
        String text = new String(request, StandardCharsets.ISO_8859_1);
        int firstLine = text.indexOf("\r\n");
        int headEnd = text.indexOf("\r\n\r\n");
        String head = headEnd < 0 ? text : text.substring(0, headEnd);
        if (Api.ADMIN_TOKEN == null || firstLine < 0 || head.toLowerCase(Locale.ROOT).contains("\r\nauthorization:")) {
            return request;
        }
        return (text.substring(0, firstLine + 2) + "Authorization: Bearer " + Api.ADMIN_TOKEN + "\r\n"
                + text.substring(firstLine + 2)).getBytes(StandardCharsets.ISO_8859_1);
    }

    static Socket connect(InetAddress from, int port) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        return socket;
    }

    /** One response: the head, then a body of Content-Length bytes, or chunks, or up to the close. */
    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                if (head.size() >= 4 && endsWithBlankLine(head.toByteArray())) {
                    break;
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // nothing (more) came
        }
        String headText = head.toString(StandardCharsets.ISO_8859_1);
        if (!headText.startsWith("HTTP/1.1 ") || headText.length() < 12) {
            return new Answer(0, headText, "");
        }
        int status = Integer.parseInt(headText.substring(9, 12));
        String lower = headText.toLowerCase(Locale.ROOT);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            int at = lower.indexOf("content-length: ");
            if (at >= 0) {
                long length = Long.parseLong(lower.substring(at + 16, lower.indexOf("\r\n", at)).trim());
                for (long i = 0; i < length; i++) {
                    int b = in.read();
                    if (b < 0) {
                        break;
                    }
                    body.write(b);
                }
            } else if (lower.contains("transfer-encoding: chunked")) {
                readChunks(in, body);
            } else if (lower.contains("connection: close")) {
                in.transferTo(body);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // body cut short: keep what came
        }
        return new Answer(status, headText, body.toString(StandardCharsets.UTF_8));
    }

    private static void readChunks(InputStream in, ByteArrayOutputStream body) throws IOException {
        while (true) {
            String sizeLine = line(in);
            if (sizeLine == null) {
                return;
            }
            int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            if (size == 0) {
                line(in);
                return;
            }
            body.write(in.readNBytes(size));
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                s.append((char) b);
            }
        }
        return b < 0 && s.isEmpty() ? null : s.toString();
    }

    private static boolean endsWithBlankLine(byte[] bytes) {
        int n = bytes.length;
        return bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n';
    }
}
