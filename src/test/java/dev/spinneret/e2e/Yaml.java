package dev.spinneret.e2e;

/** Manifests the end-to-end tests apply, in the seed article's shape. */
final class Yaml {
    private Yaml() {
    }

    static String subnet(String name, String cidr, String ips) {
        return """
                apiVersion: spiderpool.spidernet.io/v2beta1
                kind: SpiderSubnet
                metadata:
                  name: %s
                spec:
                  subnet: %s
                  ips:
                  - %s
                """.formatted(name, cidr, ips);
    }

    static String pool(String name, String cidr, String ips) {
        return """
                apiVersion: spiderpool.spidernet.io/v2beta1
                kind: SpiderIPPool
                metadata:
                  name: %s
                spec:
                  ipVersion: 4
                  subnet: %s
                  ips:
                  - %s
                """.formatted(name, cidr, ips);
    }

    static String namespace(String name, String defaultPool) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                  annotations:
                    ipam.spidernet.io/default-ipv4-ippool: '["%s"]'
                """.formatted(name, defaultPool);
    }

    static String deployment(String ns, String name, int replicas, String poolAnnotation) {
        return workload("Deployment", ns, name, replicas, poolAnnotation == null ? "spinneret.dev/test: \"true\""
                : "ipam.spidernet.io/ippool: '" + poolAnnotation + "'");
    }

    static String statefulSet(String ns, String name, int replicas, String poolAnnotation) {
        return workload("StatefulSet", ns, name, replicas, "ipam.spidernet.io/ippool: '" + poolAnnotation + "'");
    }

    /** A workload (Deployment or StatefulSet) whose pod template carries the given annotation lines verbatim. */
    static String workload(String kind, String ns, String name, int replicas, String... annotationLines) {
        String annotations = String.join("\n", java.util.Arrays.stream(annotationLines).map(l -> "        " + l)
                .toList());
        return """
                apiVersion: apps/v1
                kind: %s
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  replicas: %d
                %s
                  selector:
                    matchLabels:
                      app: %s
                  template:
                    metadata:
                      labels:
                        app: %s
                      annotations:
                %s
                    spec:
                      containers:
                      - name: app
                        image: nginx
                """.formatted(kind, name, ns, replicas,
                kind.equals("StatefulSet") ? "  podManagementPolicy: Parallel\n  serviceName: " + name : "", name, name,
                annotations);
    }
}
