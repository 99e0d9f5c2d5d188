package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import java.util.List;

/**
 * Cumulative costs of one control plane and the IPAM system on it at one instant; two samples around a piece of work
 * give what the work cost. CPU is user + system seconds from /proc/&lt;pid&gt;/stat: the CNI plugin processes as the
 * reaped children of this JVM (every plugin call is a child; nothing else is forked during a timed part), the
 * system's daemons (Spinneret service, Spiderpool agent and controller), kube-apiserver, etcd and
 * kube-controller-manager. etcd's WAL: the bytes etcd reports it wrote ({@code etcd_disk_wal_write_bytes_total}) and
 * the size of its member/wal directory.
 */
record ClusterCost(double pluginCpu, double daemonCpu, double apiserverCpu, double etcdCpu, double kcmCpu,
        double walWritten, double walDir) {

    static ClusterCost sample(BenchCluster cluster, List<String> daemonPids) {
        double daemons = 0;
        for (String pid : daemonPids) {
            daemons += BenchCluster.cpuSeconds(pid);
        }
        double wal = BenchCluster.metric(http(cluster.env("ETCD_URL") + "/metrics"), "etcd_disk_wal_write_bytes_total", null);
        return new ClusterCost(BenchSupport.childCpuMs() / 1000, daemons,
                BenchCluster.cpuSeconds(cluster.env("APISERVER_PID")), BenchCluster.cpuSeconds(cluster.env("ETCD_PID")),
                BenchCluster.cpuSeconds(cluster.env("KCM_PID")), wal, cluster.etcdWalDirBytes());
    }

    ClusterCost minus(ClusterCost before) {
        return new ClusterCost(pluginCpu - before.pluginCpu, daemonCpu - before.daemonCpu,
                apiserverCpu - before.apiserverCpu, etcdCpu - before.etcdCpu, kcmCpu - before.kcmCpu,
                walWritten - before.walWritten, walDir - before.walDir);
    }

    /** The same costs divided by a number of pods. */
    ClusterCost per(int pods) {
        return new ClusterCost(pluginCpu / pods, daemonCpu / pods, apiserverCpu / pods, etcdCpu / pods, kcmCpu / pods,
                walWritten / pods, walDir / pods);
    }

    /** "Cluster CPU": plugin + daemons + kube-apiserver + etcd (the controller-manager is reported, not added). */
    double clusterCpu() {
        return pluginCpu + daemonCpu + apiserverCpu + etcdCpu;
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(10)).build();

    private static String http(String url) {
        try {
            return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .timeout(java.time.Duration.ofSeconds(30)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            throw new IllegalStateException("GET " + url + ": " + e.getMessage(), e);
        }
    }
}
