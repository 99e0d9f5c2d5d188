package dev.spinneret.pool;

import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.ip.IpFamily;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The names, labels and pod affinity Spiderpool puts on automatic pools (spiderpool-behaviour.md §2.3), so tools
 * that select auto-pools by label keep working. The application's identity is also kept whole in the annotation
 * {@value #APPLICATION} because label values are cut at 63 characters.
 */
public final class AutoPoolLabels {
    public static final String GV = "ipam.spidernet.io/owner-application-gv";
    public static final String KIND = "ipam.spidernet.io/owner-application-kind";
    public static final String NAMESPACE = "ipam.spidernet.io/owner-application-namespace";
    public static final String NAME = "ipam.spidernet.io/owner-application-name";
    public static final String UID = "ipam.spidernet.io/owner-application-uid";
    public static final String INTERFACE = "ipam.spidernet.io/interface";
    public static final String RECLAIM = "ipam.spidernet.io/ippool-reclaim";
    public static final String IP_VERSION = "ipam.spidernet.io/ip-version";
    public static final String APPLICATION = "ipam.spidernet.io/owner-application";
    static final String APP_PREFIX = "ipam.spidernet.io/app-";

    private AutoPoolLabels() {
    }

    /**
     * {@code auto-<app>-v4-<interface>-<hash>}: the hash is the last segment of the workload's UID (12 hex digits,
     * as in the seed's {@code auto-nginx-v4-eth0-452e737e5e12}) and the application name is cut so the whole name
     * stays a valid object name.
     */
    public static String poolName(Owner app, IpFamily family, String iface) {
        String tail = "-v" + family.number() + "-" + dnsPart(iface) + "-" + uidHash(app.uid());
        String appPart = dnsPart(app.name());
        int room = 253 - "auto-".length() - tail.length();
        if (appPart.length() > room) {
            appPart = trimEnd(appPart.substring(0, room));
        }
        return "auto-" + appPart + tail;
    }

    static String uidHash(String uid) {
        String u = uid == null ? "" : uid.toLowerCase(Locale.ROOT);
        int dash = u.lastIndexOf('-');
        String last = dash < 0 ? u : u.substring(dash + 1);
        if (last.matches("[0-9a-f]{12}")) {
            return last;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(u.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code apps_v1_Deployment_default_nginx}: Spiderpool's application key ({@code v1_Pod_ns_name} for core). */
    public static String applicationKey(Owner app) {
        return gv(app) + "_" + app.kind() + "_" + app.namespace() + "_" + app.name();
    }

    static String gv(Owner app) {
        return app.apiVersion() == null ? "" : app.apiVersion().replace('/', '_');
    }

    /** The labels of the workload's auto-pool for one interface and family. */
    public static Map<String, String> poolLabels(Owner app, String subnet, IpFamily family, String iface,
            boolean reclaim) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(SpiderApi.LABEL_OWNER_SUBNET, subnet);
        l.put(GV, labelValue(gv(app)));
        l.put(KIND, labelValue(app.kind()));
        l.put(NAMESPACE, labelValue(app.namespace()));
        l.put(NAME, labelValue(app.name()));
        l.put(UID, labelValue(app.uid()));
        l.put(INTERFACE, labelValue(iface));
        l.put(RECLAIM, Boolean.toString(reclaim));
        l.put(IP_VERSION, "IPv" + family.number());
        return l;
    }

    /**
     * The pool's {@code spec.podAffinity.matchLabels}. As in Spiderpool they are matched against the pod's top
     * controller, not the pod's own labels: see {@link #selectionLabels}.
     */
    public static Map<String, String> affinity(Owner app) {
        Map<String, String> m = new LinkedHashMap<>();
        String v = app.apiVersion() == null ? "" : app.apiVersion();
        int slash = v.indexOf('/');
        m.put(APP_PREFIX + "api-group", labelValue(slash < 0 ? "" : v.substring(0, slash)));
        m.put(APP_PREFIX + "api-version", labelValue(slash < 0 ? v : v.substring(slash + 1)));
        m.put(APP_PREFIX + "kind", labelValue(app.kind()));
        m.put(APP_PREFIX + "namespace", labelValue(app.namespace()));
        m.put(APP_PREFIX + "name", labelValue(app.name()));
        return m;
    }

    /**
     * The labels pool selection matches {@code podAffinity} against: the pod's own labels, minus any
     * {@code ipam.spidernet.io/app-*} label the pod set itself (a pod cannot claim another workload's pool), plus
     * those of its top controller.
     */
    public static Map<String, String> selectionLabels(Map<String, String> podLabels, Owner app) {
        Map<String, String> out = new HashMap<>();
        if (podLabels != null) {
            podLabels.forEach((k, v) -> {
                if (!k.startsWith(APP_PREFIX)) {
                    out.put(k, v);
                }
            });
        }
        if (app != null && app.kind() != null && app.name() != null) {
            out.putAll(affinity(app));
        }
        return out;
    }

    /** A label value: at most 63 characters, cut with a short hash so two long names stay distinct. */
    public static String labelValue(String s) {
        if (s == null) {
            return "";
        }
        if (s.length() <= 63) {
            return s;
        }
        return trimEnd(s.substring(0, 50)) + "-" + uidHash("x-" + s).substring(0, 12);
    }

    private static String dnsPart(String s) {
        String lower = (s == null ? "" : s).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
        return trimEnd(lower.replaceAll("^[^a-z0-9]+", ""));
    }

    private static String trimEnd(String s) {
        return s.replaceAll("[^a-z0-9A-Z]+$", "");
    }
}
