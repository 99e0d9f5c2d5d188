package dev.spinneret.cni.kube;

import dev.spinneret.cni.Log;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A minimal HTTP/1.1 client over a (TLS) socket from java.base: one keep-alive connection, every connect/handshake/read
 * bounded by the remaining time to a deadline. Used instead of HttpsURLConnection because that cannot send PATCH, and
 * instead of java.net.http because that module costs start-up time (see docs/cni.md).
 */
final class HttpClient11 implements AutoCloseable {
    static final class Response {
        final int status;
        final byte[] body;

        Response(int status, byte[] body) {
            this.status = status;
            this.body = body;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Thrown when the deadline passed (a time-out, not a refusal). */
    static final class DeadlineException extends IOException {
        DeadlineException(String m) {
            super(m);
        }
    }

    private static final int MAX_BODY = 16 << 20;

    private final URI base;
    private final SSLContext ssl;
    private final String tlsServerName;
    private final long deadlineNanos;
    private boolean offerX25519Only = canOfferX25519Only();
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    HttpClient11(URI base, SSLContext ssl, String tlsServerName, long deadlineNanos) {
        this.base = base;
        this.ssl = ssl;
        this.tlsServerName = tlsServerName;
        this.deadlineNanos = deadlineNanos;
    }

    private int port() {
        int p = base.getPort();
        return p > 0 ? p : ("https".equals(base.getScheme()) ? 443 : 80);
    }

    private String host() {
        String h = base.getHost();
        return h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    }

    int remainingMillis() throws DeadlineException {
        long ms = (deadlineNanos - System.nanoTime()) / 1_000_000L;
        if (ms <= 0) throw new DeadlineException("deadline exceeded talking to " + base);
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    private void connect() throws IOException {
        if (!"https".equals(base.getScheme()) || !offerX25519Only) {
            connect(false);
            return;
        }
        try {
            connect(true);
        } catch (SSLException e) {
            if (causedByCertificate(e)) throw e;
            // e.g. a FIPS-mode server without X25519 (Go: handshake_failure alert; the JDK: unexpected_message):
            // once more with the runtime's default groups
            offerX25519Only = false;
            Log.info("TLS handshake offering only x25519 failed (" + e.getMessage() + "); retrying with the default key exchange groups");
            connect(false);
        }
    }

    private static boolean causedByCertificate(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) return true;
        }
        return false;
    }

    private void connect(boolean x25519Only) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host(), port()), remainingMillis());
            s.setSoTimeout(remainingMillis());
            if ("https".equals(base.getScheme())) {
                SSLSocket t = (SSLSocket) ssl.getSocketFactory().createSocket(s, host(), port(), true);
                SSLParameters p = t.getSSLParameters();
                // no JDK endpoint identification: KubeClient's HostnameTrustManager verifies the server's name
                // (unless insecure-skip-tls-verify), without the JDK's load of its whole cacerts file
                p.setEndpointIdentificationAlgorithm(null);
                p.setApplicationProtocols(new String[]{"http/1.1"});
                String sni = tlsServerName != null && !tlsServerName.isEmpty() ? tlsServerName : null;
                if (sni == null && !isIpLiteral(host())) sni = host();
                if (sni != null) p.setServerNames(List.of(new SNIHostName(sni)));
                if (x25519Only) setNamedGroups(p, X25519_ONLY);
                t.setSSLParameters(p);
                t.setSoTimeout(remainingMillis());
                t.startHandshake();
                s = t;
            }
        } catch (IOException | RuntimeException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // nothing
            }
            throw e;
        }
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 16384);
        out = s.getOutputStream();
    }

    /**
     * Whether this runtime can offer only an X25519 key share ({@code SSLParameters.setNamedGroups}, Java 20+). By
     * default the JDK sends two key shares, X25519 and secp256r1; on JDK 24+ the first secp256r1 operation in a JVM
     * builds a precomputed table of the generator's multiples, which in a fresh JVM costs more than the rest of the
     * handshake (docs/cni.md, "Measured start-up"). Every kube-apiserver (Go) supports and prefers X25519.
     */
    static boolean canOfferX25519Only() {
        return SET_NAMED_GROUPS != null;
    }

    private static final String[] X25519_ONLY = {"x25519"};
    private static final Method SET_NAMED_GROUPS = namedGroupsSetter();

    private static Method namedGroupsSetter() {
        try {
            return SSLParameters.class.getMethod("setNamedGroups", String[].class);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static void setNamedGroups(SSLParameters p, String[] groups) throws IOException {
        try {
            SET_NAMED_GROUPS.invoke(p, (Object) groups);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot set TLS named groups", e);
        }
    }

    private static boolean isIpLiteral(String h) {
        return h.indexOf(':') >= 0 || h.matches("[0-9.]+");
    }

    Response send(String method, String path, String authorization, String contentType, byte[] body) throws IOException {
        boolean reused = socket != null;
        try {
            return exchange(method, path, authorization, contentType, body);
        } catch (DeadlineException e) {
            close();
            throw e;
        } catch (IOException e) {
            close();
            if (!reused || e instanceof SocketTimeoutException) throw e;
            // a kept-alive connection the server closed meanwhile: retry once on a fresh one
            return exchange(method, path, authorization, contentType, body);
        }
    }

    private Response exchange(String method, String path, String authorization, String contentType, byte[] body) throws IOException {
        if (socket == null) connect();
        StringBuilder h = new StringBuilder(256);
        String prefix = base.getRawPath() == null ? "" : base.getRawPath(); // e.g. a Rancher-proxied server URL
        h.append(method).append(' ').append(prefix).append(path).append(" HTTP/1.1\r\n");
        h.append("Host: ").append(base.getRawAuthority()).append("\r\n");
        h.append("User-Agent: spinneret-cni/0.1\r\n");
        h.append("Accept: application/json\r\n");
        if (authorization != null) h.append("Authorization: ").append(authorization).append("\r\n");
        if (body != null) {
            h.append("Content-Type: ").append(contentType).append("\r\n");
            h.append("Content-Length: ").append(body.length).append("\r\n");
        } else if (!method.equals("GET")) {
            h.append("Content-Length: 0\r\n");
        }
        h.append("\r\n");
        socket.setSoTimeout(remainingMillis());
        byte[] head = h.toString().getBytes(StandardCharsets.UTF_8);
        if (body == null) {
            out.write(head);
        } else {
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            out.write(all);
        }
        out.flush();
        return readResponse(method);
    }

    private Response readResponse(String method) throws IOException {
        String status = readLine();
        while (status.startsWith("HTTP/1.1 100") || status.startsWith("HTTP/1.0 100")) {
            while (!readLine().isEmpty()) {
                // skip interim headers
            }
            status = readLine();
        }
        if (!status.startsWith("HTTP/1.")) throw new IOException("not an HTTP response: " + status);
        int sp = status.indexOf(' ');
        int code;
        try {
            code = Integer.parseInt(status.substring(sp + 1, sp + 4));
        } catch (RuntimeException e) {
            throw new IOException("bad HTTP status line: " + status);
        }
        long length = -1;
        boolean chunked = false;
        boolean close = status.startsWith("HTTP/1.0");
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int c = line.indexOf(':');
            if (c <= 0) continue;
            String name = line.substring(0, c).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(c + 1).trim();
            if (name.equals("content-length")) {
                try {
                    length = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length: " + value);
                }
            } else if (name.equals("transfer-encoding")) {
                chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
            } else if (name.equals("connection")) {
                if (value.toLowerCase(Locale.ROOT).contains("close")) close = true;
            }
        }
        byte[] body;
        if (method.equals("HEAD") || code == 204 || code == 304) {
            body = new byte[0];
        } else if (chunked) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String sz = readLine();
                int semi = sz.indexOf(';');
                int n;
                try {
                    n = Integer.parseInt((semi >= 0 ? sz.substring(0, semi) : sz).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size: " + sz);
                }
                if (n == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                if (b.size() + n > MAX_BODY) throw new IOException("response too large");
                b.write(readN(n));
                readLine();
            }
            body = b.toByteArray();
        } else if (length >= 0) {
            if (length > MAX_BODY) throw new IOException("response too large");
            body = readN((int) length);
        } else {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                b.write(buf, 0, r);
                if (b.size() > MAX_BODY) throw new IOException("response too large");
            }
            body = b.toByteArray();
            close = true;
        }
        if (close) close();
        return new Response(code, body);
    }

    private byte[] readN(int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) throw new EOFException("connection closed mid-body");
            off += r;
        }
        return b;
    }

    private String readLine() throws IOException {
        StringBuilder b = new StringBuilder(64);
        while (true) {
            int c = in.read();
            if (c < 0) throw new EOFException("connection closed by " + base);
            if (c == '\n') break;
            if (c != '\r') b.append((char) c);
            if (b.length() > 65536) throw new IOException("header line too long");
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
