package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

/**
 * The set-up every IT class shares: a namespace of its own, ready for pods, and optionally a pool. "Ready" means its
 * default ServiceAccount exists (the controller-manager creates it a moment after the namespace; a pod created before
 * is refused), waited for up to 60 s, failing at the deadline.
 */
final class TestNamespace {
    static final Duration SERVICE_ACCOUNT = Duration.ofSeconds(60);

    private TestNamespace() {
    }

    /** Creates each namespace and waits for its default ServiceAccount. */
    static void create(Kubectl c, String... namespaces) {
        for (String ns : namespaces) {
            c.kubectl("create", "namespace", ns).ok();
        }
        awaitServiceAccounts(c, namespaces);
    }

    /** A namespace whose {@code ipam.spidernet.io/default-ipv4-ippool} annotation names {@code defaultPool}. */
    static void createWithDefaultPool(Kubectl c, String ns, String defaultPool) {
        c.kubectlApply(Yaml.namespace(ns, defaultPool)).ok();
        awaitServiceAccounts(c, ns);
    }

    private static void awaitServiceAccounts(Kubectl c, String... namespaces) {
        for (String ns : namespaces) {
            await("ServiceAccount " + ns + "/default").atMost(SERVICE_ACCOUNT).pollInterval(Duration.ofMillis(200))
                    .until(() -> c.kubectl("-n", ns, "get", "sa", "default").code() == 0);
        }
    }

    /** {@link #create} and an IPv4 SpiderIPPool {@code pool} of these addresses in {@code cidr}. */
    static void createWithPool(Kubectl c, String ns, String pool, String cidr, String ips) {
        create(c, ns);
        c.kubectlApply(Yaml.pool(pool, cidr, ips)).ok();
    }
}
