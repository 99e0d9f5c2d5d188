package dev.spinneret.selection;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which interfaces of a pod Spinneret serves, and where each one's pools come from — decided at admission.
 *
 * <p>Served interfaces: {@code eth0} when the cluster network uses Spinneret IPAM ({@code primaryNetwork}) unless
 * {@code v1.multus-cni.io/default-network} replaces it with a network of another IPAM, or when that network's
 * IPAM is Spinneret's; every Multus network ({@code k8s.v1.cni.cncf.io/networks}) whose CNI config has Spinneret
 * IPAM, under Multus' interface name; every interface the pod's {@code ipam.spidernet.io/ippools} names; and
 * {@code eth0} for a pod whose {@code ipam.spidernet.io/ippool} has no other interface to apply to. A pod with no
 * served interface is not Spinneret's business: the result is empty.
 *
 * <p>Pools per interface, first source present wins (Spiderpool's order): pod {@code ippools} > pod
 * {@code ippool} (the first served interface) > namespace defaults > the network's {@code default_ipv4_ippool} /
 * {@code default_ipv6_ippool} > cluster default pools. Interfaces in {@code decided} (served by automatic pools
 * from subnet annotations) are left out.
 */
public final class PodInterfaces {
    private PodInterfaces() {
    }

    /** Reads a NetworkAttachmentDefinition: its {@code spec.config}, or empty when no such object exists. */
    @FunctionalInterface
    public interface Networks {
        Optional<String> config(String namespace, String name);
    }

    /** @param multusNamespace where Multus looks up a bare {@code default-network} name (Multus' own namespace) */
    public record Settings(boolean primaryNetwork, String multusNamespace) {
    }

    private record Served(NetworkSelection network, NetworkIpam.Spinneret ipam) {
    }

    public static List<InterfaceRequest> requests(Map<String, String> podAnnotations,
            Map<String, String> namespaceAnnotations, String podNamespace, Settings settings, Networks networks,
            List<String> clusterDefaultsV4, List<String> clusterDefaultsV6, Set<String> decided) {
        Map<String, Served> served = new LinkedHashMap<>();
        Optional<NetworkSelection> def = MultusAnnotations.defaultNetwork(podAnnotations, settings.multusNamespace());
        if (def.isPresent()) {
            NetworkIpam.Spinneret ipam = spinneret(def.get(), networks);
            if (ipam != null) {
                served.put("eth0", new Served(def.get(), ipam));
            }
        } else if (settings.primaryNetwork()) {
            served.put("eth0", new Served(null, null));
        }
        for (NetworkSelection n : MultusAnnotations.networks(podAnnotations, podNamespace)) {
            NetworkIpam.Spinneret ipam = spinneret(n, networks);
            if (ipam != null) {
                served.put(n.iface(), new Served(n, ipam));
            }
        }
        List<InterfaceRequest> ippools = IpamAnnotations.ippools(podAnnotations);
        Map<String, InterfaceRequest> byIppools = new LinkedHashMap<>();
        if (ippools != null) {
            for (InterfaceRequest r : ippools) {
                byIppools.put(r.iface(), r);
                served.putIfAbsent(r.iface(), new Served(null, null));
            }
        }
        String ippoolTarget = null;
        if (ippools == null && podAnnotations != null && podAnnotations.containsKey(IpamAnnotations.IPPOOL)) {
            if (served.isEmpty()) {
                served.put("eth0", new Served(null, null)); // the pod asks for an address, and has only eth0
            }
            ippoolTarget = served.keySet().iterator().next();
        }
        List<InterfaceRequest> out = new ArrayList<>();
        for (Map.Entry<String, Served> e : served.entrySet()) {
            String iface = e.getKey();
            if (decided.contains(iface)) {
                continue;
            }
            Served s = e.getValue();
            InterfaceRequest r = byIppools.get(iface);
            if (r == null && iface.equals(ippoolTarget)) {
                r = IpamAnnotations.ippool(podAnnotations, iface);
            }
            if (r == null) {
                r = IpamAnnotations.namespaceDefaults(namespaceAnnotations, iface);
            }
            if (r == null && s.ipam() != null && (!s.ipam().ipv4().isEmpty() || !s.ipam().ipv6().isEmpty())) {
                r = new InterfaceRequest(iface, s.ipam().ipv4(), s.ipam().ipv6(), null, "NetworkAttachmentDefinition "
                        + s.network().key() + " (ipam default_ipv4_ippool/default_ipv6_ippool)");
            }
            if (r == null) {
                r = IpamAnnotations.clusterDefaults(clusterDefaultsV4, clusterDefaultsV6, iface);
            }
            if (r == null) {
                throw new SelectionDenied("NoPool", noPool(iface, s, podNamespace));
            }
            List<StaticAddress> ips = s.network() == null ? List.of() : s.network().ips();
            for (StaticAddress a : ips) {
                if (a.address().isIPv6() ? !r.wantsV6() : !r.wantsV4()) {
                    throw new SelectionDenied("BadStaticIP", "network " + s.network().key() + " asks for address "
                            + a.text() + " on interface " + iface + " (" + s.network().source() + " \"ips\"), but"
                            + " the interface's pools (from " + r.source() + ") include no IPv"
                            + (a.address().isIPv6() ? 6 : 4) + " pool");
                }
            }
            out.add(r.on(iface, ips, s.ipam() == null ? null : s.ipam().cleanGateway()));
        }
        return out;
    }

    /** The network's Spinneret IPAM, or null when the network uses another; refuses a missing or broken network. */
    private static NetworkIpam.Spinneret spinneret(NetworkSelection n, Networks networks) {
        String where = "network " + n.key() + " (interface " + n.iface() + ", " + n.source() + ")";
        Optional<String> config = networks.config(n.namespace(), n.name());
        if (config.isEmpty()) {
            throw new SelectionDenied("NoNetwork", where + ": NetworkAttachmentDefinition " + n.key()
                    + " does not exist; create it first (Multus cannot attach it either)");
        }
        NetworkIpam ipam;
        try {
            ipam = NetworkIpam.of(config.get());
        } catch (IllegalArgumentException e) {
            throw new SelectionDenied("BadNetwork", where + ": NetworkAttachmentDefinition " + n.key() + " "
                    + e.getMessage());
        }
        return ipam instanceof NetworkIpam.Spinneret s ? s : null;
    }

    private static String noPool(String iface, Served s, String ns) {
        StringBuilder b = new StringBuilder("no IP pool applies to interface " + iface + " of this pod: it has no "
                + IpamAnnotations.IPPOOLS + " or " + IpamAnnotations.IPPOOL + " annotation, namespace " + ns
                + " has no " + IpamAnnotations.NS_DEFAULT_V4 + "/" + IpamAnnotations.NS_DEFAULT_V6 + " annotation, ");
        if (s.network() != null) {
            b.append("NetworkAttachmentDefinition ").append(s.network().key())
                    .append(" sets no default_ipv4_ippool/default_ipv6_ippool, ");
        } else if ("eth0".equals(iface)) {
            b.append("(eth0 is served because the cluster network uses Spinneret IPAM: ipam.primaryNetwork) ");
        }
        return b.append("and no SpiderIPPool has spec.default: true").toString();
    }
}
