package dev.spinneret.cni;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** The CNI_* environment of one invocation, with CNI_ARGS parsed. */
public final class CniEnv {
    private static final Pattern IFNAME = Pattern.compile("[^/\\s:]{1,15}");
    // Kubernetes names: DNS-1123 subdomain (pods) / label (namespaces); UID is free-form but no ';' or '='
    private static final Pattern K8S_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    public final String command;
    public final String containerId;
    public final String netns;
    public final String ifName;
    public final String path;
    public final Map<String, String> args;
    public final String podNamespace;
    public final String podName;
    public final String podUid;

    private CniEnv(String command, String containerId, String netns, String ifName, String path, Map<String, String> args) {
        this.command = command;
        this.containerId = containerId;
        this.netns = netns;
        this.ifName = ifName;
        this.path = path;
        this.args = args;
        this.podNamespace = blankToNull(args.get("K8S_POD_NAMESPACE"));
        this.podName = blankToNull(args.get("K8S_POD_NAME"));
        this.podUid = blankToNull(args.get("K8S_POD_UID"));
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /**
     * Reads and validates the environment for the command. VERSION needs nothing else; ADD/CHECK/DEL need
     * CNI_CONTAINERID and CNI_IFNAME; ADD/CHECK need CNI_NETNS and the K8S_POD_NAMESPACE/K8S_POD_NAME CNI args.
     * DEL tolerates missing pod args (there is nothing to clear then).
     */
    public static CniEnv from(Map<String, String> env) throws CniError {
        String cmd = env.get("CNI_COMMAND");
        if (cmd == null || cmd.isEmpty()) {
            throw new CniError(CniError.INVALID_ENV, "CNI_COMMAND is not set", "expected one of ADD, DEL, CHECK, VERSION");
        }
        if (!cmd.equals("ADD") && !cmd.equals("DEL") && !cmd.equals("CHECK") && !cmd.equals("VERSION")) {
            throw new CniError(CniError.INVALID_ENV, "unknown CNI_COMMAND '" + cmd + "'", "expected one of ADD, DEL, CHECK, VERSION");
        }
        Map<String, String> args = parseArgs(env.get("CNI_ARGS"));
        CniEnv e = new CniEnv(cmd, env.get("CNI_CONTAINERID"), env.get("CNI_NETNS"), env.get("CNI_IFNAME"), env.get("CNI_PATH"), args);
        if (cmd.equals("VERSION")) return e;
        require(e.containerId, "CNI_CONTAINERID");
        require(e.ifName, "CNI_IFNAME");
        if (!IFNAME.matcher(e.ifName).matches()) {
            throw new CniError(CniError.INVALID_ENV, "CNI_IFNAME '" + e.ifName + "' is not a valid interface name",
                    "1 to 15 characters, no '/', ':' or whitespace");
        }
        if (cmd.equals("DEL")) return e;
        require(e.netns, "CNI_NETNS");
        if (e.podNamespace == null || e.podName == null) {
            throw new CniError(CniError.INVALID_ENV, "CNI_ARGS lacks K8S_POD_NAMESPACE and/or K8S_POD_NAME",
                    "CNI_ARGS='" + (env.get("CNI_ARGS") == null ? "" : env.get("CNI_ARGS")) + "'");
        }
        e.validatePodArgs();
        return e;
    }

    /** Validates the pod namespace/name (they end up in API URLs); throws code 4. */
    public void validatePodArgs() throws CniError {
        if (!K8S_NAME.matcher(podNamespace).matches() || podNamespace.length() > 63) {
            throw new CniError(CniError.INVALID_ENV, "K8S_POD_NAMESPACE '" + podNamespace + "' is not a valid namespace name", null);
        }
        if (!K8S_NAME.matcher(podName).matches()) {
            throw new CniError(CniError.INVALID_ENV, "K8S_POD_NAME '" + podName + "' is not a valid pod name", null);
        }
    }

    public boolean hasPodArgs() {
        if (podNamespace == null || podName == null) return false;
        try {
            validatePodArgs();
            return true;
        } catch (CniError e) {
            return false;
        }
    }

    private static void require(String v, String name) throws CniError {
        if (v == null || v.isEmpty()) {
            throw new CniError(CniError.INVALID_ENV, name + " is not set", null);
        }
    }

    /**
     * Parses CNI_ARGS: {@code K=V} pairs separated by {@code ;}. Empty segments (e.g. a trailing ';') are ignored;
     * a segment without '=' or with an empty key is an error (code 4). The value may contain '='.
     */
    public static Map<String, String> parseArgs(String raw) throws CniError {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return m;
        for (String seg : raw.split(";", -1)) {
            if (seg.isEmpty()) continue;
            int eq = seg.indexOf('=');
            if (eq < 0) {
                throw new CniError(CniError.INVALID_ENV, "malformed CNI_ARGS: '" + seg + "' is not KEY=VALUE", "CNI_ARGS='" + raw + "'");
            }
            if (eq == 0) {
                throw new CniError(CniError.INVALID_ENV, "malformed CNI_ARGS: empty key in '" + seg + "'", "CNI_ARGS='" + raw + "'");
            }
            String k = seg.substring(0, eq).trim();
            if (k.isEmpty()) {
                throw new CniError(CniError.INVALID_ENV, "malformed CNI_ARGS: empty key in '" + seg + "'", "CNI_ARGS='" + raw + "'");
            }
            if (m.containsKey(k) && !m.get(k).equals(seg.substring(eq + 1))) {
                throw new CniError(CniError.INVALID_ENV, "malformed CNI_ARGS: '" + k + "' given twice with different values", "CNI_ARGS='" + raw + "'");
            }
            m.put(k, seg.substring(eq + 1));
        }
        return m;
    }
}
