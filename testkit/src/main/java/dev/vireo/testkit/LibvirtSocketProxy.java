package dev.vireo.testkit;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A unix-socket relay in front of the real libvirt daemon: closing it makes the daemon unreachable for
 * whoever connected through it, without disturbing the daemon (other tests and engineers use it).
 */
public final class LibvirtSocketProxy implements AutoCloseable {

    private static final Path DAEMON = Path.of("/run/libvirt/libvirt-sock");

    private final ServerSocketChannel server;
    private final Path socket;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();

    private LibvirtSocketProxy(ServerSocketChannel server, Path socket) {
        this.server = server;
        this.socket = socket;
    }

    public static LibvirtSocketProxy start(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        LibvirtSocketProxy proxy = new LibvirtSocketProxy(server, socket);
        Thread accept = new Thread(proxy::acceptLoop, "libvirt-proxy-accept");
        accept.setDaemon(true);
        accept.start();
        return proxy;
    }

    private void acceptLoop() {
        try {
            while (true) {
                SocketChannel client = server.accept();
                SocketChannel daemon = SocketChannel.open(UnixDomainSocketAddress.of(DAEMON));
                open.add(client);
                open.add(daemon);
                pump(client, daemon);
                pump(daemon, client);
            }
        } catch (IOException closed) {
            // the proxy was closed
        }
    }

    private void pump(SocketChannel from, SocketChannel to) {
        Thread t = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        to.write(buffer);
                    }
                    buffer.clear();
                }
            } catch (IOException e) {
                // one side went away
            }
            closeQuietly(from);
            closeQuietly(to);
        }, "libvirt-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        open.forEach(LibvirtSocketProxy::closeQuietly);
        Files.deleteIfExists(socket);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
