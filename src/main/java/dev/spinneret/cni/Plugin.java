package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;
import dev.spinneret.cni.kube.ApiException;
import dev.spinneret.cni.kube.KubeClient;
import dev.spinneret.cni.kube.KubeConfig;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The IPAM commands. ADD reads the reservation the admission webhook wrote on the pod, checks it still holds in the
 * pools' ledgers, confirms it on the SpiderEndpoint and returns it; it never allocates. DEL releases nothing.
 * Only the Kubernetes API server is contacted, never the Spinneret service.
 */
public final class Plugin {
    public static final String GROUP_VERSION = "spiderpool.spidernet.io/v2beta1";
    public static final String RESERVATION_LABEL = "ipam.spidernet.io/reservation-id";
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private final Map<String, String> processEnv;
    private final LedgerLookup ledger;
    private final long deadlineNanos;

    public Plugin(Map<String, String> processEnv, LedgerLookup ledger, long deadlineNanos) {
        this.processEnv = processEnv;
        this.ledger = ledger;
        this.deadlineNanos = deadlineNanos;
    }

    /** Runs the command; returns what to print on stdout (null: nothing). */
    public String run(CniEnv env, NetConf conf) throws CniError {
        switch (env.command) {
            case "ADD": return add(env, conf);
            case "CHECK": check(env, conf); return null;
            case "DEL": del(env, conf); return null;
            default: throw new CniError(CniError.INVALID_ENV, "unsupported command " + env.command, null);
        }
    }

    public static String versionJson() {
        return Json.write(Json.obj("cniVersion", NetConf.LATEST_VERSION, "supportedVersions", NetConf.SUPPORTED_VERSIONS));
    }

    // ------------------------------------------------------------------ ADD

    String add(CniEnv env, NetConf conf) throws CniError {
        long t0 = System.nanoTime();
        try (KubeClient k = open(conf)) {
            long t1 = System.nanoTime();
            Map<String, Object> pod = getPod(k, env);
            long t2 = System.nanoTime();
            Reservation r = reservation(pod, env);
            Reservation.Nic nic = nic(r, env);
            verifyHeld(k, r, nic);
            long t3 = System.nanoTime();
            confirm(k, env, pod, r);
            long t4 = System.nanoTime();
            if (Log.debugEnabled()) {
                Log.debug("timing ms: client " + (t1 - t0) / 1_000_000 + ", pod (connect+TLS+GET) " + (t2 - t1) / 1_000_000
                        + ", pools " + (t3 - t2) / 1_000_000 + ", endpoint " + (t4 - t3) / 1_000_000);
            }
            Map<String, Object> result = Result.build(conf.cniVersion, nic, conf.cleanGateway, conf.dns);
            Log.info("ADD ok: reservation " + r.id + " " + env.ifName + " " + describe(nic));
            return Json.write(result);
        }
    }

    // ------------------------------------------------------------------ CHECK

    void check(CniEnv env, NetConf conf) throws CniError {
        try (KubeClient k = open(conf)) {
            Map<String, Object> pod = getPod(k, env);
            Reservation r = reservation(pod, env);
            Reservation.Nic nic = nic(r, env);
            verifyHeld(k, r, nic);
            List<Object> prevIps = Json.list(conf.raw, "prevResult", "ips");
            if (prevIps != null) {
                List<String> want = new ArrayList<>();
                if (nic.ipv4 != null) want.add(nic.ipv4);
                if (nic.ipv6 != null) want.add(nic.ipv6);
                List<String> have = new ArrayList<>();
                for (Object o : prevIps) {
                    String a = Json.str(o, "address");
                    if (a != null) have.add(a);
                }
                if (!sameAddresses(want, have)) {
                    throw new CniError(CniError.CHECK_MISMATCH, "prevResult addresses " + have + " differ from the reservation " + want + " for " + env.ifName, null);
                }
            }
            Log.info("CHECK ok: reservation " + r.id + " " + env.ifName);
        }
    }

    private static boolean sameAddresses(List<String> want, List<String> have) {
        if (want.size() != have.size()) return false;
        for (String w : want) {
            boolean found = false;
            for (String h : have) {
                try {
                    if (Addr.canonical(Addr.cidrAddress(h, 0)).equals(Addr.canonical(Addr.cidrAddress(w, 0)))
                            && h.substring(h.indexOf('/')).equals(w.substring(w.indexOf('/')))) found = true;
                } catch (IllegalArgumentException ignored) {
                    // not equal
                }
            }
            if (!found) return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ DEL

    /** Best effort, idempotent: clears status.current.containerID on the endpoint if it is ours. Never throws. */
    void del(CniEnv env, NetConf conf) {
        if (!env.hasPodArgs()) {
            Log.info("DEL: no (valid) K8S_POD_NAMESPACE/K8S_POD_NAME in CNI_ARGS; nothing to do");
            return;
        }
        try (KubeClient k = open(conf)) {
            String path = endpointPath(env.podNamespace, env.podName);
            for (int attempt = 0; attempt < 3; attempt++) {
                Map<String, Object> sep = k.get(path);
                if (sep == null) {
                    Log.info("DEL: no SpiderEndpoint " + env.podNamespace + "/" + env.podName + "; nothing to do");
                    return;
                }
                String cid = Json.str(sep, "status", "current", "containerID");
                if (!env.containerId.equals(cid)) {
                    Log.info("DEL: endpoint containerID is '" + cid + "', not ours; leaving it");
                    return;
                }
                Map<String, Object> patch = Json.obj(
                        "metadata", Json.obj("resourceVersion", Json.str(sep, "metadata", "resourceVersion")),
                        "status", Json.obj("current", Json.obj("containerID", "")));
                try {
                    k.mergePatch(path + "/status", patch);
                    Log.info("DEL: cleared containerID on endpoint " + env.podNamespace + "/" + env.podName + " (addresses are kept; release is the service's job)");
                    return;
                } catch (ApiException e) {
                    if (e.status != 409) throw e;
                    Log.info("DEL: endpoint changed meanwhile (409), re-reading");
                }
            }
            Log.warn("DEL: gave up clearing containerID after repeated conflicts");
        } catch (CniError e) {
            Log.warn("DEL: " + e + " (ignored)");
        } catch (IOException | ApiException | RuntimeException e) {
            Log.warn("DEL: " + e + " (ignored)");
        }
    }

    // ------------------------------------------------------------------ steps

    KubeClient open(NetConf conf) throws CniError {
        KubeConfig kc;
        try {
            kc = KubeConfig.load(Path.of(conf.kubeconfig));
        } catch (KubeConfig.KubeConfigException e) {
            if (e.missingFile) {
                throw new CniError(CniError.TRY_AGAIN_LATER, e.getMessage(), "is the spinneret-cni installer DaemonSet running on this node?");
            }
            throw new CniError(CniError.INVALID_NETCONF, e.getMessage(), "ipam.kubeconfig=" + conf.kubeconfig);
        }
        if (kc.insecure) Log.warn("kubeconfig " + kc.source + " disables TLS verification (insecure-skip-tls-verify)");
        try {
            return new KubeClient(kc, deadlineNanos);
        } catch (GeneralSecurityException e) {
            throw new CniError(CniError.INVALID_NETCONF, "kubeconfig " + kc.source + ": " + e.getMessage(), null);
        }
    }

    private Map<String, Object> getPod(KubeClient k, CniEnv env) throws CniError {
        String path = "/api/v1/namespaces/" + env.podNamespace + "/pods/" + env.podName;
        Map<String, Object> pod;
        try {
            pod = k.get(path);
        } catch (IOException | ApiException e) {
            throw apiError(e, "reading pod " + env.podNamespace + "/" + env.podName);
        }
        if (pod == null) {
            throw new CniError(CniError.POD_NOT_FOUND, "pod " + env.podNamespace + "/" + env.podName + " not found", null);
        }
        String uid = Json.str(pod, "metadata", "uid");
        if (env.podUid != null && !env.podUid.equals(uid)) {
            throw new CniError(CniError.UID_MISMATCH, "pod " + env.podNamespace + "/" + env.podName + " has UID " + uid
                    + ", but the runtime asked for UID " + env.podUid, "the pod was deleted and recreated; the runtime will retry for the new pod");
        }
        return pod;
    }

    private static Reservation reservation(Map<String, Object> pod, CniEnv env) throws CniError {
        String value = Json.str(pod, "metadata", "annotations", Reservation.ANNOTATION);
        if (value == null || value.isBlank()) {
            throw new CniError(CniError.NO_RESERVATION, "pod " + env.podNamespace + "/" + env.podName + " has no " + Reservation.ANNOTATION
                    + " annotation", "was the pod admitted while the Spinneret webhook was down or not matching this namespace?");
        }
        return Reservation.parse(value);
    }

    private static Reservation.Nic nic(Reservation r, CniEnv env) throws CniError {
        Reservation.Nic nic = r.forInterface(env.ifName);
        if (nic == null) {
            List<String> names = new ArrayList<>();
            for (Reservation.Nic n : r.interfaces) names.add(n.name);
            throw new CniError(CniError.NO_RESERVATION, "reservation " + r.id + " of pod " + env.podNamespace + "/" + env.podName
                    + " has no entry for interface " + env.ifName, "reserved interfaces: " + names);
        }
        if (nic.ipv4 == null && nic.ipv6 == null) {
            throw new CniError(CniError.NO_RESERVATION, "reservation " + r.id + " reserves no address for interface " + env.ifName, null);
        }
        return nic;
    }

    /** For each address of the interface: its pool exists and its ledger maps the address to the reservation id. */
    void verifyHeld(KubeClient k, Reservation r, Reservation.Nic nic) throws CniError {
        Map<String, Map<String, Object>> pools = new HashMap<>();
        String[][] fams = {{nic.ipv4, nic.ipv4Pool}, {nic.ipv6, nic.ipv6Pool}};
        for (String[] f : fams) {
            if (f[0] == null) continue;
            String addr = Addr.cidrAddress(f[0], 0);
            String poolName = f[1];
            if (!DNS1123_SUBDOMAIN.matcher(poolName).matches() || poolName.length() > 253) {
                throw new CniError(CniError.BAD_RESERVATION, "reservation " + r.id + " names an invalid pool '" + poolName + "'", null);
            }
            Map<String, Object> pool = pools.get(poolName);
            if (pool == null) {
                try {
                    pool = k.get("/apis/" + GROUP_VERSION + "/spiderippools/" + poolName);
                } catch (IOException | ApiException e) {
                    throw apiError(e, "reading SpiderIPPool " + poolName);
                }
                if (pool == null) {
                    throw new CniError(CniError.RESERVATION_NOT_HELD, "reservation " + r.id + ": SpiderIPPool " + poolName + " no longer exists", null);
                }
                pools.put(poolName, pool);
            }
            String text = Json.str(pool, "status", "allocatedIPs");
            String owner;
            try {
                owner = ledger.owner(text, addr);
            } catch (IllegalArgumentException e) {
                throw new CniError(CniError.RESERVATION_NOT_HELD, "reservation " + r.id + ": cannot read the ledger of SpiderIPPool " + poolName + ": " + e.getMessage(), null);
            }
            if (owner == null) {
                throw new CniError(CniError.RESERVATION_NOT_HELD, "reservation " + r.id + ": " + addr + " is no longer allocated in SpiderIPPool " + poolName,
                        "the reservation was released (expired or garbage-collected); delete the pod to get a new one");
            }
            if (!owner.equals(r.id)) {
                throw new CniError(CniError.RESERVATION_NOT_HELD, "reservation " + r.id + ": " + addr + " in SpiderIPPool " + poolName
                        + " now belongs to reservation " + owner, "delete the pod to get a new reservation");
            }
        }
    }

    static String endpointPath(String ns, String name) {
        return "/apis/" + GROUP_VERSION + "/namespaces/" + ns + "/spiderendpoints/" + name;
    }

    /** Creates the SpiderEndpoint if needed, points it at this pod, and records the reservation in status.current. */
    void confirm(KubeClient k, CniEnv env, Map<String, Object> pod, Reservation r) throws CniError {
        String ns = env.podNamespace, name = env.podName;
        String podUid = Json.str(pod, "metadata", "uid");
        String path = endpointPath(ns, name);
        Map<String, Object> podRef = Json.obj("apiVersion", "v1", "kind", "Pod", "name", name, "uid", podUid);
        try {
            Map<String, Object> sep = k.get(path);
            if (sep == null) {
                Map<String, Object> body = Json.obj(
                        "apiVersion", GROUP_VERSION,
                        "kind", "SpiderEndpoint",
                        "metadata", Json.obj(
                                "name", name,
                                "namespace", ns,
                                "labels", Json.obj(RESERVATION_LABEL, r.id),
                                "ownerReferences", List.of(podRef)));
                try {
                    sep = k.create("/apis/" + GROUP_VERSION + "/namespaces/" + ns + "/spiderendpoints", body);
                    Log.info("created SpiderEndpoint " + ns + "/" + name);
                } catch (ApiException e) {
                    if (e.status != 409) throw e;
                    Log.info("SpiderEndpoint " + ns + "/" + name + " created concurrently; re-reading");
                    sep = k.get(path);
                    if (sep == null) throw new CniError(CniError.TRY_AGAIN_LATER, "SpiderEndpoint " + ns + "/" + name + " appeared and vanished", null);
                }
            }
            if (Json.at(sep, "metadata", "deletionTimestamp") != null) {
                throw new CniError(CniError.TRY_AGAIN_LATER, "SpiderEndpoint " + ns + "/" + name + " is being deleted", "retry once it is gone");
            }
            String oldRes = Json.str(sep, "status", "current", "reservationID");
            String oldUid = Json.str(sep, "status", "current", "uid");
            if ((oldRes != null && !oldRes.equals(r.id)) || (oldUid != null && !oldUid.equals(podUid))) {
                Log.info("SpiderEndpoint " + ns + "/" + name + " recorded reservation " + oldRes + " / pod uid " + oldUid + "; overwriting with " + r.id + " / " + podUid);
            }
            // owner references: keep non-Pod owners, point the Pod owner at this pod
            List<Object> owners = Json.list(sep, "metadata", "ownerReferences");
            boolean ownerOk = false;
            List<Object> newOwners = new ArrayList<>();
            if (owners != null) {
                for (Object o : owners) {
                    if ("Pod".equals(Json.str(o, "kind"))) {
                        if (podUid != null && podUid.equals(Json.str(o, "uid"))) {
                            ownerOk = true;
                            newOwners.add(o);
                        }
                    } else {
                        newOwners.add(o);
                    }
                }
            }
            if (!ownerOk) newOwners.add(podRef);
            boolean labelOk = r.id.equals(Json.str(sep, "metadata", "labels", RESERVATION_LABEL));
            if (!ownerOk || !labelOk) {
                Map<String, Object> meta = Json.obj("labels", Json.obj(RESERVATION_LABEL, r.id));
                if (!ownerOk) meta.put("ownerReferences", newOwners);
                if (k.mergePatch(path, Json.obj("metadata", meta)) == null) {
                    throw new CniError(CniError.TRY_AGAIN_LATER, "SpiderEndpoint " + ns + "/" + name + " vanished while being updated", null);
                }
            }
            Map<String, Object> current = Json.obj(
                    "uid", podUid,
                    "node", nodeName(pod),
                    "containerID", env.containerId,
                    "reservationID", r.id,
                    "ips", r.rawInterfaces);
            if (k.mergePatch(path + "/status", Json.obj("status", Json.obj("current", current))) == null) {
                throw new CniError(CniError.TRY_AGAIN_LATER, "SpiderEndpoint " + ns + "/" + name + " vanished while its status was written", null);
            }
        } catch (IOException | ApiException e) {
            throw apiError(e, "confirming SpiderEndpoint " + ns + "/" + name);
        }
    }

    private String nodeName(Map<String, Object> pod) {
        String n = Json.str(pod, "spec", "nodeName");
        if (n != null && !n.isEmpty()) return n;
        n = processEnv.get("NODE_NAME");
        if (n != null && !n.isEmpty()) return n;
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }

    static CniError apiError(Exception e, String doing) {
        if (e instanceof ApiException) {
            ApiException a = (ApiException) e;
            if (a.retryable() || a.status == 409) return new CniError(CniError.TRY_AGAIN_LATER, doing + ": " + a.getMessage(), null);
            if (a.status == 401 || a.status == 403) {
                return new CniError(CniError.API_ERROR, doing + ": " + a.getMessage(), "check the spinneret-cni ServiceAccount token and its ClusterRole");
            }
            return new CniError(CniError.API_ERROR, doing + ": " + a.getMessage(), null);
        }
        if (e instanceof KubeClient.TokenFileException) {
            return new CniError(CniError.TRY_AGAIN_LATER, doing + ": " + e.getMessage(), "is the spinneret-cni installer DaemonSet running on this node?");
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) {
                return new CniError(CniError.API_ERROR, doing + ": TLS verification of the API server failed: " + t.getMessage(), "check certificate-authority in the kubeconfig");
            }
        }
        if (e instanceof SocketTimeoutException || e.getClass().getSimpleName().equals("DeadlineException")) {
            return new CniError(CniError.TRY_AGAIN_LATER, doing + ": API server timed out: " + e.getMessage(), null);
        }
        return new CniError(CniError.TRY_AGAIN_LATER, doing + ": API server unreachable: " + e, null);
    }

    static String describe(Reservation.Nic nic) {
        StringBuilder b = new StringBuilder();
        if (nic.ipv4 != null) b.append(nic.ipv4).append(" (").append(nic.ipv4Pool).append(')');
        if (nic.ipv6 != null) b.append(b.length() > 0 ? " " : "").append(nic.ipv6).append(" (").append(nic.ipv6Pool).append(')');
        return b.toString();
    }
}
