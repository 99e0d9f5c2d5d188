package dev.spinneret.cni.kube;

import dev.spinneret.cni.json.Json;
import dev.spinneret.cni.json.JsonException;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A minimal kubeconfig reader (YAML as written by kubectl, or JSON): the current context's cluster
 * ({@code server}, {@code certificate-authority(-data)}, {@code insecure-skip-tls-verify}, {@code tls-server-name})
 * and user ({@code client-certificate(-data)}, {@code client-key(-data)}, {@code token}, {@code tokenFile}).
 * Relative file paths resolve against the kubeconfig's directory, like kubectl. Exec and auth-provider plugins are
 * rejected (a CNI plugin must not exec credential helpers on the pod start path).
 */
public final class KubeConfig {
    public final URI server;
    public final byte[] caPem;
    public final boolean insecure;
    public final String tlsServerName;
    public final byte[] clientCertPem;
    public final byte[] clientKeyPem;
    public final String token;
    public final Path tokenFile;
    public final String source;

    private KubeConfig(URI server, byte[] caPem, boolean insecure, String tlsServerName, byte[] clientCertPem,
                       byte[] clientKeyPem, String token, Path tokenFile, String source) {
        this.server = server;
        this.caPem = caPem;
        this.insecure = insecure;
        this.tlsServerName = tlsServerName;
        this.clientCertPem = clientCertPem;
        this.clientKeyPem = clientKeyPem;
        this.token = token;
        this.tokenFile = tokenFile;
        this.source = source;
    }

    public static final class KubeConfigException extends Exception {
        public final boolean missingFile;

        KubeConfigException(String m, boolean missingFile) {
            super(m);
            this.missingFile = missingFile;
        }
    }

    public static KubeConfig load(Path file) throws KubeConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new KubeConfigException("kubeconfig " + file + " does not exist", true);
        } catch (IOException e) {
            throw new KubeConfigException("cannot read kubeconfig " + file + ": " + e, false);
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, dir, file.toString());
    }

    public static KubeConfig parse(String text, Path baseDir, String source) throws KubeConfigException {
        Object root;
        String trimmed = text.stripLeading();
        try {
            if (trimmed.startsWith("{")) root = Json.parse(trimmed);
            else root = MiniYaml.parse(text);
        } catch (JsonException | MiniYaml.YamlException e) {
            throw new KubeConfigException("cannot parse kubeconfig " + source + ": " + e.getMessage(), false);
        }
        if (!(root instanceof Map)) throw new KubeConfigException("kubeconfig " + source + " is not a mapping", false);
        String ctxName = Json.str(root, "current-context");
        Map<String, Object> ctx;
        if (ctxName == null || ctxName.isEmpty()) {
            List<Object> all = Json.list(root, "contexts");
            if (all != null && all.size() == 1) {
                ctx = Json.map(all.get(0), "context");
                ctxName = Json.str(all.get(0), "name");
            } else {
                throw new KubeConfigException("kubeconfig " + source + " has no current-context", false);
            }
        } else {
            ctx = Json.map(named(root, "contexts", ctxName, source), "context");
        }
        if (ctx == null) throw new KubeConfigException("context '" + ctxName + "' in " + source + " has no 'context' body", false);
        String clusterName = Json.str(ctx, "cluster");
        if (clusterName == null) throw new KubeConfigException("context '" + ctxName + "' in " + source + " names no cluster", false);
        Map<String, Object> cluster = Json.map(named(root, "clusters", clusterName, source), "cluster");
        if (cluster == null) throw new KubeConfigException("cluster '" + clusterName + "' in " + source + " has no 'cluster' body", false);
        String userName = Json.str(ctx, "user");
        Map<String, Object> user = null;
        if (userName != null && !userName.isEmpty()) {
            user = Json.map(named(root, "users", userName, source), "user");
        }
        if (user == null) user = Map.of();

        String serverS = Json.str(cluster, "server");
        if (serverS == null || serverS.isEmpty()) throw new KubeConfigException("cluster '" + clusterName + "' in " + source + " has no server", false);
        URI server;
        try {
            server = new URI(serverS.endsWith("/") ? serverS.substring(0, serverS.length() - 1) : serverS);
        } catch (URISyntaxException e) {
            throw new KubeConfigException("cluster server '" + serverS + "' is not a URL: " + e.getMessage(), false);
        }
        if (server.getHost() == null || !("https".equals(server.getScheme()) || "http".equals(server.getScheme()))) {
            throw new KubeConfigException("cluster server '" + serverS + "' must be an http(s) URL with a host", false);
        }
        byte[] ca = dataOrFile(cluster, "certificate-authority-data", "certificate-authority", baseDir, source);
        boolean insecure = "true".equalsIgnoreCase(String.valueOf(Json.at(cluster, "insecure-skip-tls-verify")));
        String tlsServerName = Json.str(cluster, "tls-server-name");

        if (user.get("exec") != null || user.get("auth-provider") != null) {
            throw new KubeConfigException("user '" + userName + "' in " + source + " uses exec/auth-provider credentials, which the CNI plugin does not support; use a token, tokenFile or client certificate", false);
        }
        byte[] cert = dataOrFile(user, "client-certificate-data", "client-certificate", baseDir, source);
        byte[] key = dataOrFile(user, "client-key-data", "client-key", baseDir, source);
        if ((cert == null) != (key == null)) {
            throw new KubeConfigException("user '" + userName + "' in " + source + " has a client certificate without a key or vice versa", false);
        }
        String token = Json.str(user, "token");
        if (token != null && token.isEmpty()) token = null;
        String tf = Json.str(user, "tokenFile");
        Path tokenFile = tf == null || tf.isEmpty() ? null : resolve(baseDir, tf);
        return new KubeConfig(server, ca, insecure, tlsServerName, cert, key, token, tokenFile, source);
    }

    /** The bearer token: the inline token, else the current content of tokenFile (read per call: projected tokens rotate). */
    public String bearerToken() throws IOException {
        if (token != null) return token;
        if (tokenFile != null) return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        return null;
    }

    private static Object named(Object root, String listKey, String name, String source) throws KubeConfigException {
        List<Object> l = Json.list(root, listKey);
        if (l != null) {
            for (Object o : l) {
                if (name.equals(Json.str(o, "name"))) return o;
            }
        }
        throw new KubeConfigException(source + ": no entry named '" + name + "' in " + listKey, false);
    }

    private static byte[] dataOrFile(Map<String, Object> m, String dataKey, String fileKey, Path baseDir, String source) throws KubeConfigException {
        String data = Json.str(m, dataKey);
        if (data != null && !data.isEmpty()) {
            try {
                return Base64.getMimeDecoder().decode(data.strip());
            } catch (IllegalArgumentException e) {
                throw new KubeConfigException(source + ": " + dataKey + " is not valid base64", false);
            }
        }
        String f = Json.str(m, fileKey);
        if (f != null && !f.isEmpty()) {
            Path p = resolve(baseDir, f);
            try {
                return Files.readAllBytes(p);
            } catch (IOException e) {
                throw new KubeConfigException(source + ": cannot read " + fileKey + " " + p + ": " + e, e instanceof java.nio.file.NoSuchFileException);
            }
        }
        return null;
    }

    private static Path resolve(Path baseDir, String f) {
        Path p = Path.of(f);
        return p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p);
    }
}
