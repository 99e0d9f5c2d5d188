package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import dev.spinneret.ip.IpAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whereabouts v0.9.2 in its own control plane: its two CRDs and nothing else (it has no daemon and no webhook). A pod
 * create is a plain create; its binary's ADD takes an address from a range of exactly N addresses (one IPPool per
 * run, its leader election on the kube-system/whereabouts Lease with the defaults). v0.9.2's ADD does not read the
 * pod and does not enter the netns (a dummy path).
 */
final class WhereaboutsFairSide extends FairSide {
    static final String RESERVATIONS = "overlappingrangeipreservations.whereabouts.cni.cncf.io";
    static final String POOLS = "ippools.whereabouts.cni.cncf.io";
    private final Path bin;
    private int nextRange = 16;
    private String conf;

    WhereaboutsFairSide(Path bin, Path crds, Path work) throws Exception {
        super("Whereabouts", BenchCluster.start(BenchCluster.dir("bench-fair-whereabouts"), 0), work);
        this.bin = bin;
        for (String crd : List.of("whereabouts.cni.cncf.io_ippools.yaml",
                "whereabouts.cni.cncf.io_overlappingrangeipreservations.yaml")) {
            cluster.kubectl(null, "apply", "-f", crds.resolve(crd).toString()).ok();
        }
        cluster.kubectl(null, "wait", "--for=condition=Established", "--timeout=60s", "crd/" + POOLS,
                "crd/" + RESERVATIONS).ok();
        // v0.9.2 refuses to run without its flat config file (the DaemonSet writes one next to the kubeconfig)
        Files.writeString(work.resolve("whereabouts.conf"),
                "{\"kubernetes\":{\"kubeconfig\":\"" + cluster.env("KUBECONFIG") + "\"}}\n");
    }

    @Override
    String prepare(String tag, int n) throws InterruptedException {
        if (nextRange > 31) {
            throw new IllegalStateException("out of 172.16-31 ranges: too many runs");
        }
        String base = "172." + nextRange++ + ".0.";
        conf = """
                {"cniVersion":"1.0.0","name":"wb-bench","type":"macvlan","master":"none",
                 "ipam":{"type":"whereabouts","range":"%s0/16","range_start":"%s1","range_end":"%s",
                  "configuration_path":"%s","log_file":"%s","log_level":"error","kubernetes":{"kubeconfig":"%s"}}}
                """.formatted(base, base, IpAddress.parse(base + "1").plus(n - 1), work.resolve("whereabouts.conf"),
                work.resolve("whereabouts.log"), cluster.env("KUBECONFIG"));
        String ns = "wb-" + tag;
        plainNamespace(ns);
        return ns;
    }

    @Override
    void add(String ns, String pod, String uid, String containerId) throws Exception {
        BenchSupport.cniAdd(List.of(bin.toString()), conf, containerId,
                "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=" + pod, "/var/run/netns/wb-bench-unused", work);
    }

    @Override
    void cleanUp(String ns, int n) {
        // only this run's IPPool exists (the previous run's were deleted): count its allocations
        String pools = cluster.kubectl(null, "get", POOLS, "-A", "-o", "json").ok().out();
        int held = pools.split("\"podref\"", -1).length - 1;
        if (held != n) {
            throw new IllegalStateException("Whereabouts' IPPool holds " + held + " allocations, not " + n);
        }
        cluster.kubectl(null, "delete", POOLS + "," + RESERVATIONS, "--all", "-A").ok();
        cluster.kubectl(null, "delete", "namespace", ns).ok();
    }

    @Override
    List<String> daemonPids() {
        return List.of();
    }

    @Override
    String describe() {
        return "Whereabouts v0.9.2 (`" + BenchSupport.firstLine(bin.getParent().resolve(".stamp")) + "`, no daemon)";
    }
}
