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
        return new Workload(kind, ns, name, replicas).annotations(annotationLines).yaml();
    }

    /**
     * The one way tests write a Deployment or StatefulSet. Defaults: one {@code nginx} container (never started on
     * the API-server-only cluster), StatefulSets with {@code podManagementPolicy: Parallel}; pods labelled
     * {@code app: <name>}.
     */
    static final class Workload {
        private final String kind;
        private final String ns;
        private final String name;
        private final int replicas;
        private final java.util.List<String> annotations = new java.util.ArrayList<>();
        private boolean parallel = true;
        private String podSpec = """
                containers:
                - name: app
                  image: nginx
                """;

        Workload(String kind, String ns, String name, int replicas) {
            this.kind = kind;
            this.ns = ns;
            this.name = name;
            this.replicas = replicas;
        }

        /** Pod-template annotation lines, verbatim ({@code key: value}). */
        Workload annotations(String... lines) {
            annotations.addAll(java.util.List.of(lines));
            return this;
        }

        /** A StatefulSet with the default {@code OrderedReady} pod management. */
        Workload orderedReady() {
            parallel = false;
            return this;
        }

        /** The pod template's spec, as YAML at its own top level. */
        Workload podSpec(String yaml) {
            podSpec = yaml;
            return this;
        }

        String yaml() {
            boolean sts = kind.equals("StatefulSet");
            StringBuilder y = new StringBuilder();
            y.append("apiVersion: apps/v1\nkind: ").append(kind).append("\nmetadata:\n  name: ").append(name)
                    .append("\n  namespace: ").append(ns).append("\nspec:\n  replicas: ").append(replicas).append('\n');
            if (sts && parallel) {
                y.append("  podManagementPolicy: Parallel\n");
            }
            if (sts) {
                y.append("  serviceName: ").append(name).append('\n');
            }
            y.append("  selector:\n    matchLabels:\n      app: ").append(name).append('\n')
                    .append("  template:\n    metadata:\n      labels:\n        app: ").append(name).append('\n');
            if (!annotations.isEmpty()) {
                y.append("      annotations:\n");
                annotations.forEach(a -> y.append("        ").append(a).append('\n'));
            }
            y.append("    spec:\n");
            podSpec.lines().forEach(l -> y.append("      ").append(l).append('\n'));
            return y.toString();
        }
    }
}
