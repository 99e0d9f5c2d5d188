package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;
import dev.spinneret.cni.json.JsonException;

import java.util.List;
import java.util.Map;

/**
 * The network configuration from stdin, reduced to what this IPAM plugin uses. Unknown keys are ignored, including
 * Spiderpool's ({@code default_ipv4_ippool}, {@code default_ipv6_ippool}, {@code match_master_subnet},
 * {@code ipam_unix_socket_path}, {@code log_file_max_age}, {@code log_file_max_count}): pool choice happens at admission.
 */
public final class NetConf {
    public static final String DEFAULT_KUBECONFIG = "/etc/cni/net.d/spinneret.d/spinneret.kubeconfig";
    public static final String DEFAULT_LOG_FILE = "/var/log/spinneret/cni.log";
    public static final List<String> SUPPORTED_VERSIONS = List.of("0.3.1", "0.4.0", "1.0.0");
    public static final String LATEST_VERSION = "1.0.0";

    public final String cniVersion;
    public final String name;
    public final String ipamType;
    public final String kubeconfig;
    public final double timeoutSeconds;
    public final String logFile;
    public final Log.Level logLevel;
    public final long logMaxBytes;
    public final boolean cleanGateway;
    /** Result "dns" object to return, or null. */
    public final Map<String, Object> dns;
    /** The raw top-level object (prevResult etc.). */
    public final Map<String, Object> raw;

    private NetConf(String cniVersion, String name, String ipamType, String kubeconfig, double timeoutSeconds,
                    String logFile, Log.Level logLevel, long logMaxBytes, boolean cleanGateway,
                    Map<String, Object> dns, Map<String, Object> raw) {
        this.cniVersion = cniVersion;
        this.name = name;
        this.ipamType = ipamType;
        this.kubeconfig = kubeconfig;
        this.timeoutSeconds = timeoutSeconds;
        this.logFile = logFile;
        this.logLevel = logLevel;
        this.logMaxBytes = logMaxBytes;
        this.cleanGateway = cleanGateway;
        this.dns = dns;
        this.raw = raw;
    }

    /**
     * Best-effort extraction of the cniVersion for error output, so errors are rendered in the caller's version when
     * the config is at least JSON with a supported version.
     */
    public static String versionForErrors(String stdin) {
        try {
            Object v = Json.at(Json.parse(stdin), "cniVersion");
            if (v instanceof String && SUPPORTED_VERSIONS.contains(v)) return (String) v;
        } catch (JsonException | RuntimeException ignored) {
            // fall through
        }
        return LATEST_VERSION;
    }

    public static NetConf parse(String stdin) throws CniError {
        if (stdin == null || stdin.isBlank()) {
            throw new CniError(CniError.DECODE_FAILURE, "no network configuration on stdin", null);
        }
        Map<String, Object> root;
        try {
            root = Json.parseObject(stdin);
        } catch (JsonException e) {
            throw new CniError(CniError.DECODE_FAILURE, "cannot decode network configuration: " + e.getMessage(), null);
        }
        Object ver = root.get("cniVersion");
        if (ver == null) {
            throw new CniError(CniError.INVALID_NETCONF, "network configuration has no cniVersion", null);
        }
        if (!(ver instanceof String)) {
            throw new CniError(CniError.INVALID_NETCONF, "cniVersion must be a string, got " + Json.typeName(ver), null);
        }
        if (!SUPPORTED_VERSIONS.contains(ver)) {
            throw new CniError(CniError.INCOMPATIBLE_VERSION, "unsupported cniVersion '" + ver + "'",
                    "supported versions: " + String.join(", ", SUPPORTED_VERSIONS));
        }
        String name = optString(root, "name", "name", null);
        Object ipamO = root.get("ipam");
        if (ipamO == null) {
            throw new CniError(CniError.INVALID_NETCONF, "network configuration has no \"ipam\" section", null);
        }
        if (!(ipamO instanceof Map)) {
            throw new CniError(CniError.INVALID_NETCONF, "\"ipam\" must be an object, got " + Json.typeName(ipamO), null);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> ipam = (Map<String, Object>) ipamO;
        String type = optString(ipam, "type", "ipam.type", null);
        if (type == null || type.isEmpty()) {
            throw new CniError(CniError.INVALID_NETCONF, "ipam.type is missing", null);
        }
        String kubeconfig = optString(ipam, "kubeconfig", "ipam.kubeconfig", DEFAULT_KUBECONFIG);
        if (kubeconfig.isEmpty()) {
            throw new CniError(CniError.INVALID_NETCONF, "ipam.kubeconfig must not be empty", null);
        }
        double timeout = 10;
        Object t = ipam.get("timeout_seconds");
        if (t != null) {
            if (!(t instanceof Number)) {
                throw new CniError(CniError.INVALID_NETCONF, "ipam.timeout_seconds must be a number, got " + Json.typeName(t), null);
            }
            timeout = ((Number) t).doubleValue();
            if (!(timeout > 0) || timeout > 600) {
                throw new CniError(CniError.INVALID_NETCONF, "ipam.timeout_seconds must be > 0 and <= 600, got " + Json.write(t), null);
            }
        }
        String logFile = optString(ipam, "log_file_path", "ipam.log_file_path", DEFAULT_LOG_FILE);
        String lvl = optString(ipam, "log_level", "ipam.log_level", "info");
        Log.Level level = Log.Level.parse(lvl);
        if (level == null) {
            throw new CniError(CniError.INVALID_NETCONF, "ipam.log_level '" + lvl + "' is not one of debug, info, warn, error", null);
        }
        long maxBytes = 10L << 20;
        Object ms = ipam.get("log_file_max_size");
        if (ms != null) {
            // Spiderpool documents it as a string ("100"); accept both forms
            long mib = -1;
            if (ms instanceof Long) {
                mib = (Long) ms;
            } else if (ms instanceof String && ((String) ms).matches("[0-9]{1,6}")) {
                mib = Long.parseLong((String) ms);
            }
            if (mib <= 0) {
                throw new CniError(CniError.INVALID_NETCONF, "ipam.log_file_max_size must be a positive integer (MiB), got " + Json.write(ms), null);
            }
            maxBytes = mib << 20;
        }
        boolean clean = false;
        Object cg = ipam.get("clean_gateway");
        if (cg != null) {
            if (!(cg instanceof Boolean)) {
                throw new CniError(CniError.INVALID_NETCONF, "ipam.clean_gateway must be a boolean, got " + Json.typeName(cg), null);
            }
            clean = (Boolean) cg;
        }
        Map<String, Object> dns = null;
        Object d = ipam.get("dns");
        if (d != null) {
            if (!(d instanceof Map)) {
                throw new CniError(CniError.INVALID_NETCONF, "ipam.dns must be an object, got " + Json.typeName(d), null);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> dm = (Map<String, Object>) d;
            dns = Json.obj(
                    "nameservers", stringList(dm, "nameservers"),
                    "domain", optString(dm, "domain", "ipam.dns.domain", null),
                    "search", stringList(dm, "search"),
                    "options", stringList(dm, "options"));
            if (dns.isEmpty()) dns = null;
        }
        return new NetConf((String) ver, name, type, kubeconfig, timeout, logFile, level, maxBytes, clean, dns, root);
    }

    private static String optString(Map<String, Object> m, String key, String label, String dflt) throws CniError {
        Object v = m.get(key);
        if (v == null) return dflt;
        if (!(v instanceof String)) {
            throw new CniError(CniError.INVALID_NETCONF, label + " must be a string, got " + Json.typeName(v), null);
        }
        return (String) v;
    }

    private static List<Object> stringList(Map<String, Object> m, String key) throws CniError {
        Object v = m.get(key);
        if (v == null) return null;
        if (!(v instanceof List)) {
            throw new CniError(CniError.INVALID_NETCONF, "ipam.dns." + key + " must be an array of strings, got " + Json.typeName(v), null);
        }
        @SuppressWarnings("unchecked")
        List<Object> l = (List<Object>) v;
        for (Object o : l) {
            if (!(o instanceof String)) {
                throw new CniError(CniError.INVALID_NETCONF, "ipam.dns." + key + " must be an array of strings, found " + Json.typeName(o), null);
            }
        }
        return l.isEmpty() ? null : l;
    }
}
