package dev.spinneret.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Byte relays that carry the fake API server into a test network namespace without touching the host's
 * interfaces: unix sockets are file-system objects, not bound to a netns.
 * <ul>
 *   <li>{@link #unixToTcp} runs in the test JVM (root netns): unix socket → 127.0.0.1:serverPort.</li>
 *   <li>{@code main("tcp", port, socketPath)} runs inside the test netns via {@code ip netns exec}:
 *       127.0.0.1:port (in that netns) → unix socket. Prints "ready" once listening.</li>
 * </ul>
 * TLS passes through untouched (end to end between plugin and fake server).
 */
public final class NetnsRelay {
    private NetnsRelay() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !args[0].equals("tcp")) {
            System.err.println("usage: NetnsRelay tcp <port> <unix socket path>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[1]);
        Path sock = Path.of(args[2]);
        try (ServerSocket ss = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            System.out.println("ready");
            System.out.flush();
            while (true) {
                Socket c = ss.accept();
                c.setTcpNoDelay(true);
                SocketChannel u = SocketChannel.open(UnixDomainSocketAddress.of(sock));
                pipe(c.getInputStream(), out(u), c, u);
                pipe(in(u), c.getOutputStream(), c, u);
            }
        }
    }

    /** Starts a daemon relay from a new unix socket at {@code sock} to 127.0.0.1:port; returns the server channel. */
    public static ServerSocketChannel unixToTcp(Path sock, int port) throws IOException {
        Files.deleteIfExists(sock);
        ServerSocketChannel ssc = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ssc.bind(UnixDomainSocketAddress.of(sock));
        Thread t = new Thread(() -> {
            while (ssc.isOpen()) {
                try {
                    SocketChannel u = ssc.accept();
                    Socket s = new Socket();
                    s.setTcpNoDelay(true);
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                    pipe(in(u), s.getOutputStream(), s, u);
                    pipe(s.getInputStream(), out(u), s, u);
                } catch (IOException e) {
                    if (!ssc.isOpen()) return;
                }
            }
        }, "relay-accept");
        t.setDaemon(true);
        t.start();
        return ssc;
    }

    // Channels.newInputStream/newOutputStream lock the channel's blockingLock, so a blocked read would starve the
    // writer; plain SocketChannel.read/write may run concurrently from two threads.
    private static InputStream in(SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return ch.read(java.nio.ByteBuffer.wrap(b, off, len));
            }
        };
    }

    private static OutputStream out(SocketChannel ch) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b, off, len);
                while (bb.hasRemaining()) ch.write(bb);
            }
        };
    }

    private static void pipe(InputStream in, OutputStream out, AutoCloseable a, AutoCloseable b) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try {
                for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                    out.write(buf, 0, r);
                    out.flush();
                }
            } catch (IOException ignored) {
                // peer closed
            } finally {
                try {
                    a.close();
                } catch (Exception ignored) {
                    // nothing
                }
                try {
                    b.close();
                } catch (Exception ignored) {
                    // nothing
                }
            }
        }, "relay-pipe");
        t.setDaemon(true);
        t.start();
    }
}
