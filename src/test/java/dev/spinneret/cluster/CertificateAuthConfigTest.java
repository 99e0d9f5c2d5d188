package dev.spinneret.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** Only certificate-authenticated clients lose the per-request kubeconfig refresh; token ones keep it. */
@Tag("pure")
class CertificateAuthConfigTest {
    @Test
    void certificateOnlyConfigGetsAProviderWithoutToken() {
        Config c = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:6443")
                .withClientCertData("Y2VydA==").withClientKeyData("a2V5").build();
        assertTrue(CertificateAuthConfig.certificateOnly(c));
        new CertificateAuthConfig().customize(c);
        assertNotNull(c.getOauthTokenProvider());
        assertNull(c.getOauthTokenProvider().getToken());
    }

    @Test
    void tokenConfigsAreLeftAlone() {
        Config token = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:6443")
                .withClientCertData("Y2VydA==").withOauthToken("t").build();
        assertFalse(CertificateAuthConfig.certificateOnly(token));
        Config auto = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:6443").build();
        auto.setAutoOAuthToken("from-the-service-account");
        new CertificateAuthConfig().customize(auto);
        assertNull(auto.getOauthTokenProvider());
        Config basic = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:6443")
                .withClientCertData("Y2VydA==").withUsername("u").withPassword("p").build();
        assertFalse(CertificateAuthConfig.certificateOnly(basic));
    }
}
