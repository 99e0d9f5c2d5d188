package dev.spinneret.cni;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.spinneret.cni.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HTTPS fake of the parts of kube-apiserver the CNI plugin uses: pods (GET), SpiderIPPools (GET), SpiderEndpoints
 * (GET, POST, merge-PATCH of the object and of /status, resourceVersion preconditions, 409 on create of an existing
 * object). Requires {@code Authorization: Bearer <token>}.
 */
public final class FakeApiServer implements AutoCloseable {
    public static final String TOKEN = "test-token";
    private static final Pattern POD = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)");
    private static final Pattern POOL = Pattern.compile("/apis/spiderpool\\.spidernet\\.io/v2beta1/spiderippools/([^/]+)");
    private static final Pattern SEPS = Pattern.compile("/apis/spiderpool\\.spidernet\\.io/v2beta1/namespaces/([^/]+)/spiderendpoints");
    private static final Pattern SEP = Pattern.compile("/apis/spiderpool\\.spidernet\\.io/v2beta1/namespaces/([^/]+)/spiderendpoints/([^/]+)(/status)?");

    public final Map<String, Map<String, Object>> pods = new ConcurrentHashMap<>();
    public final Map<String, Map<String, Object>> pools = new ConcurrentHashMap<>();
    public final Map<String, Map<String, Object>> endpoints = new ConcurrentHashMap<>();
    public final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    public volatile long delayMillis;
    /** When set, the next POST of an endpoint first creates it "concurrently" and answers 409. */
    public volatile boolean raceOnCreate;
    private final AtomicLong rv = new AtomicLong(100);
    private final HttpsServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    public FakeApiServer() throws Exception {
        this(null);
    }

    /**
     * With {@code clientCa}, TLS client authentication is required (certificates issued by / equal to clientCa) and a
     * verified client certificate replaces the bearer token, like kube-apiserver's x509 authenticator.
     */
    public FakeApiServer(java.security.cert.X509Certificate clientCa) throws Exception {
        this(clientCa, null);
    }

    /**
     * With {@code namedGroups}, the server accepts only these TLS key exchange groups (Java 20+ servers only), e.g.
     * {@code secp256r1} like a FIPS-mode API server without X25519.
     */
    public FakeApiServer(java.security.cert.X509Certificate clientCa, String[] namedGroups) throws Exception {
        // like kube-apiserver (Go sets TCP_NODELAY); without it Nagle + delayed ACK add ~40 ms per response
        System.setProperty("sun.net.httpserver.nodelay", "true");
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        javax.net.ssl.SSLContext ctx = clientCa == null ? TestTls.serverContext() : TestTls.serverContext(clientCa);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx) {
            @Override
            public void configure(com.sun.net.httpserver.HttpsParameters params) {
                javax.net.ssl.SSLParameters p = ctx.getDefaultSSLParameters();
                if (clientCa != null) p.setNeedClientAuth(true);
                if (namedGroups != null) {
                    try {
                        javax.net.ssl.SSLParameters.class.getMethod("setNamedGroups", String[].class).invoke(p, (Object) namedGroups);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException("named groups need a Java 20+ server", e);
                    }
                }
                params.setSSLParameters(p);
            }
        });
        server.createContext("/", this::handle);
        server.setExecutor(pool);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "https://127.0.0.1:" + port();
    }

    /** Writes a kubeconfig (kubectl-style YAML) for this server into dir; returns its path. */
    public Path writeKubeconfig(Path dir) throws Exception {
        return writeKubeconfig(dir, url());
    }

    public static Path writeKubeconfig(Path dir, String server) throws Exception {
        Path kc = dir.resolve("spinneret.kubeconfig");
        String ca = Base64.getEncoder().encodeToString(TestTls.caPem().getBytes(StandardCharsets.US_ASCII));
        Files.writeString(kc, "apiVersion: v1\n"
                + "clusters:\n"
                + "- cluster:\n"
                + "    certificate-authority-data: " + ca + "\n"
                + "    server: " + server + "\n"
                + "  name: test\n"
                + "contexts:\n"
                + "- context:\n"
                + "    cluster: test\n"
                + "    user: spinneret-cni\n"
                + "  name: test\n"
                + "current-context: test\n"
                + "kind: Config\n"
                + "preferences: {}\n"
                + "users:\n"
                + "- name: spinneret-cni\n"
                + "  user:\n"
                + "    token: " + TOKEN + "\n");
        return kc;
    }

    // ------------------------------------------------------------------ fixtures

    public Map<String, Object> addPod(String ns, String name, String uid, String annotation) {
        Map<String, Object> ann = new LinkedHashMap<>();
        if (annotation != null) ann.put(Reservation.ANNOTATION, annotation);
        Map<String, Object> pod = Json.obj(
                "apiVersion", "v1", "kind", "Pod",
                "metadata", Json.obj("name", name, "namespace", ns, "uid", uid, "annotations", ann, "resourceVersion", nextRv()),
                "spec", Json.obj("nodeName", "node-1"));
        pods.put(ns + "/" + name, pod);
        return pod;
    }

    public void addPool(String name, String allocatedIPs) {
        pools.put(name, Json.obj(
                "apiVersion", "spiderpool.spidernet.io/v2beta1", "kind", "SpiderIPPool",
                "metadata", Json.obj("name", name, "resourceVersion", nextRv()),
                "status", Json.obj("allocatedIPs", allocatedIPs)));
    }

    public Map<String, Object> endpoint(String ns, String name) {
        return endpoints.get(ns + "/" + name);
    }

    private String nextRv() {
        return Long.toString(rv.incrementAndGet());
    }

    // ------------------------------------------------------------------ handler

    private void handle(HttpExchange ex) throws IOException {
        try {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getRawPath();
            requests.add(method + " " + path);
            byte[] in = ex.getRequestBody().readAllBytes();
            if (delayMillis > 0) Thread.sleep(delayMillis);
            boolean x509 = false;
            if (ex instanceof com.sun.net.httpserver.HttpsExchange) {
                try {
                    x509 = ((com.sun.net.httpserver.HttpsExchange) ex).getSSLSession().getPeerCertificates().length > 0;
                } catch (javax.net.ssl.SSLPeerUnverifiedException noClientCert) {
                    x509 = false;
                }
            }
            if (!x509 && !("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                status(ex, 401, "Unauthorized", "Unauthorized");
                return;
            }
            Matcher m;
            if ((m = POD.matcher(path)).matches() && method.equals("GET")) {
                reply(ex, pods.get(m.group(1) + "/" + m.group(2)), "pods \"" + m.group(2) + "\" not found");
            } else if ((m = POOL.matcher(path)).matches() && method.equals("GET")) {
                reply(ex, pools.get(m.group(1)), "spiderippools.spiderpool.spidernet.io \"" + m.group(1) + "\" not found");
            } else if ((m = SEPS.matcher(path)).matches() && method.equals("POST")) {
                Map<String, Object> body = Json.parseObject(new String(in, StandardCharsets.UTF_8));
                String name = Json.str(body, "metadata", "name");
                String key = m.group(1) + "/" + name;
                if (raceOnCreate) {
                    raceOnCreate = false;
                    Map<String, Object> other = Json.parseObject(Json.write(body));
                    Json.map(other, "metadata").put("resourceVersion", nextRv());
                    endpoints.put(key, other);
                }
                synchronized (endpoints) {
                    if (endpoints.containsKey(key)) {
                        status(ex, 409, "AlreadyExists", "spiderendpoints.spiderpool.spidernet.io \"" + name + "\" already exists");
                        return;
                    }
                    body.remove("status");
                    Json.map(body, "metadata").put("resourceVersion", nextRv());
                    Json.map(body, "metadata").put("uid", "sep-" + rv.get());
                    endpoints.put(key, body);
                }
                send(ex, 201, body);
            } else if ((m = SEP.matcher(path)).matches()) {
                String key = m.group(1) + "/" + m.group(2);
                boolean statusSub = m.group(3) != null;
                if (method.equals("GET") && !statusSub) {
                    reply(ex, endpoints.get(key), "spiderendpoints.spiderpool.spidernet.io \"" + m.group(2) + "\" not found");
                } else if (method.equals("PATCH")) {
                    String ct = ex.getRequestHeaders().getFirst("Content-Type");
                    if (!"application/merge-patch+json".equals(ct)) {
                        status(ex, 415, "UnsupportedMediaType", "unsupported patch type " + ct);
                        return;
                    }
                    Map<String, Object> patch = Json.parseObject(new String(in, StandardCharsets.UTF_8));
                    synchronized (endpoints) {
                        Map<String, Object> cur = endpoints.get(key);
                        if (cur == null) {
                            status(ex, 404, "NotFound", "spiderendpoints.spiderpool.spidernet.io \"" + m.group(2) + "\" not found");
                            return;
                        }
                        String wantRv = Json.str(patch, "metadata", "resourceVersion");
                        if (wantRv != null && !wantRv.equals(Json.str(cur, "metadata", "resourceVersion"))) {
                            status(ex, 409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
                            return;
                        }
                        // the status subresource ignores everything but status; the main resource ignores status
                        Map<String, Object> p = new LinkedHashMap<>();
                        if (statusSub) {
                            if (patch.containsKey("status")) p.put("status", patch.get("status"));
                        } else {
                            for (Map.Entry<String, Object> e : patch.entrySet()) if (!e.getKey().equals("status")) p.put(e.getKey(), e.getValue());
                        }
                        @SuppressWarnings("unchecked")
                        Map<String, Object> merged = (Map<String, Object>) mergePatch(cur, p);
                        Json.map(merged, "metadata").put("resourceVersion", nextRv());
                        endpoints.put(key, merged);
                        send(ex, 200, merged);
                    }
                } else {
                    status(ex, 405, "MethodNotAllowed", method + " not allowed");
                }
            } else {
                status(ex, 404, "NotFound", "the server could not find the requested resource");
            }
        } catch (Exception e) {
            status(ex, 500, "InternalError", e.toString());
        } finally {
            ex.close();
        }
    }

    /** RFC 7386 JSON merge patch. */
    @SuppressWarnings("unchecked")
    public static Object mergePatch(Object target, Object patch) {
        if (!(patch instanceof Map)) return patch;
        Map<String, Object> t = target instanceof Map ? new LinkedHashMap<>((Map<String, Object>) target) : new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) patch).entrySet()) {
            if (e.getValue() == null) t.remove(e.getKey());
            else t.put(e.getKey(), mergePatch(t.get(e.getKey()), e.getValue()));
        }
        return t;
    }

    private void reply(HttpExchange ex, Map<String, Object> obj, String notFound) throws IOException {
        if (obj == null) status(ex, 404, "NotFound", notFound);
        else send(ex, 200, obj);
    }

    private static void status(HttpExchange ex, int code, String reason, String message) throws IOException {
        send(ex, code, Json.obj("kind", "Status", "apiVersion", "v1", "status", "Failure", "message", message, "reason", reason, "code", (long) code));
    }

    private static void send(HttpExchange ex, int code, Object body) throws IOException {
        byte[] b = Json.write(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    /** Standalone mode for benchmarks: prints "port <n>" and serves one pod/pool fixture until killed. */
    /**
     * For bench-add.sh and build-dist.sh: serves a bench pod in a fresh JVM and writes DIR/spinneret.kubeconfig.
     * Args: DIR [CLIENT_CERT_PEM CLIENT_KEY_PEM] (with a client certificate, it requires mTLS and the kubeconfig
     * authenticates with that certificate instead of the bearer token).
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        Files.createDirectories(dir);
        FakeApiServer s;
        if (args.length >= 3) {
            Path crt = Path.of(args[1]).toAbsolutePath();
            Path key = Path.of(args[2]).toAbsolutePath();
            java.security.cert.X509Certificate ca = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                    .getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(Files.readAllBytes(crt)));
            s = new FakeApiServer(ca);
            Path kc = s.writeKubeconfig(dir);
            Files.writeString(kc, Files.readString(kc).replace("    token: " + TOKEN + "\n",
                    "    client-certificate: " + crt + "\n    client-key: " + key + "\n"));
        } else {
            s = new FakeApiServer();
            s.writeKubeconfig(dir);
        }
        s.addPod("default", "bench", "uid-bench", Fixtures.DUAL_STACK);
        s.addPool("nginx-v4-ippool", "10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00");
        s.addPool("p6", "fd00::5=k2x9a0b1");
        warmUp(dir.resolve("spinneret.kubeconfig"), Integer.getInteger("spinneret.test.warmup", 0));
        System.out.println("port " + s.port());
        System.out.flush();
        Thread.currentThread().join();
    }

    /**
     * Full TLS handshakes + GETs against this server until its JIT has compiled the server side of them, so that a
     * benchmark measures the plugin and not the warm-up of a JDK TLS server (a kube-apiserver is Go, compiled ahead of
     * time). Uses the plugin's own client, with the kubeconfig a benchmark's plugin gets (token or client certificate).
     */
    static void warmUp(Path kubeconfig, int handshakes) throws Exception {
        dev.spinneret.cni.kube.KubeConfig kc = dev.spinneret.cni.kube.KubeConfig.load(kubeconfig);
        for (int i = 0; i < handshakes; i++) {
            try (dev.spinneret.cni.kube.KubeClient k = new dev.spinneret.cni.kube.KubeClient(kc, System.nanoTime() + 10_000_000_000L)) {
                if (k.get("/api/v1/namespaces/default/pods/bench") == null) throw new IllegalStateException("warm-up GET: no pod");
            }
        }
    }
}
