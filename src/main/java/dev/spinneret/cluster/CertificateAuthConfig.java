package dev.spinneret.cluster;

import io.fabric8.kubernetes.client.Config;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import jakarta.inject.Singleton;

/**
 * Stops the Kubernetes client from re-reading its kubeconfig before every request when it authenticates with a
 * client certificate and no token (a kubeconfig outside the cluster, as the local scripts and benchmarks run it).
 *
 * <p>fabric8's TokenRefreshInterceptor refreshes the configuration once a minute, but only records the refresh
 * when it finds a token; with certificate authentication it finds none, so from the first minute on every request
 * re-parsed the kubeconfig YAML and re-read the environment — measured as the largest single item in the service's
 * profile (bench/results/2026-11-30-pod-admission-*.md). A token provider that answers "no token" makes the
 * interceptor skip the refresh. Token-based configurations (the in-cluster service-account token, exec plugins,
 * auth providers) are left alone so that rotated tokens are still picked up.
 */
@Singleton
public class CertificateAuthConfig implements KubernetesConfigCustomizer {
    @Override
    public void customize(Config config) {
        if (certificateOnly(config)) {
            config.setOauthTokenProvider(() -> null);
        }
    }

    static boolean certificateOnly(Config config) {
        return empty(config.getOauthToken()) && empty(config.getAutoOAuthToken())
                && config.getOauthTokenProvider() == null && config.getAuthProvider() == null
                && empty(config.getUsername())
                && (!empty(config.getClientCertFile()) || !empty(config.getClientCertData()));
    }

    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }
}
