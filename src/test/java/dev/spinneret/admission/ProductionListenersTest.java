package dev.spinneret.admission;

import static dev.spinneret.admission.Reviews.pool;
import static dev.spinneret.admission.Reviews.review;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Issue 21: an AdmissionReview POSTed over plain HTTP was answered (and reserved addresses). With the production
 * listeners — {@code %prod.quarkus.http.insecure-requests=disabled}, the management interface on its own port — the
 * main server has no plain-HTTP port, the management port serves health and metrics but no {@code /admission/*},
 * and reviews are answered over TLS only.
 */
@QuarkusTest
@TestProfile(ProductionListenersTest.Production.class)
@WithKubernetesTestServer(crud = true)
@Tag("webhook")
class ProductionListenersTest {
    /** The ports the profile chose (read from the configuration: the profile may live in another class loader). */
    static int port(String key) {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue(key, Integer.class);
    }

    /** The production values of application.properties, on free ports, with a throwaway certificate. */
    public static class Production implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path store = keyStore();
            return Map.of("quarkus.http.insecure-requests", "disabled",
                    "quarkus.http.test-port", String.valueOf(freePort()),
                    "quarkus.http.test-ssl-port", String.valueOf(freePort()),
                    "quarkus.management.test-port", String.valueOf(freePort()),
                    "quarkus.http.ssl.certificate.key-store-file", store.toString(),
                    "quarkus.http.ssl.certificate.key-store-file-type", "PKCS12",
                    "quarkus.http.ssl.certificate.key-store-password", "changeit");
        }
    }

    @Test
    void plainHttpServesNoAdmission() {
        int plain = port("quarkus.http.test-port");
        int management = port("quarkus.management.test-port");
        // the main server opens no plain-HTTP port: nothing listens there
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", plain).close());
        // the management port is plain HTTP and serves health and metrics, and no webhook
        String body = review("SpiderIPPool", "CREATE", pool("plain", "10.0.0.0/24"), null, false);
        // (rest-assured's default here is https on the TLS port: Quarkus sets it so when plain HTTP is disabled)
        given().baseUri("http://127.0.0.1").port(management).contentType(ContentType.JSON).body(body)
                .post("/admission/validate-spiderippool").then().statusCode(404);
        given().baseUri("http://127.0.0.1").port(management).get("/q/health/live").then().statusCode(200);
        given().baseUri("http://127.0.0.1").port(management).get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("spinneret_"));
    }

    @Test
    void tlsServesAdmission() {
        int tls = port("quarkus.http.test-ssl-port");
        String body = review("SpiderIPPool", "CREATE", pool("tls", "10.0.0.0/24"), null, false);
        given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(tls).contentType(ContentType.JSON)
                .body(body).post("/admission/mutate-spiderippool").then().statusCode(200)
                .body("response.allowed", equalTo(true));
        // health is not on the webhook port
        given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(tls).get("/q/health/live").then()
                .statusCode(404);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A self-signed certificate for 127.0.0.1, made with the JDK's keytool. */
    static Path keyStore() {
        try {
            Path dir = Files.createTempDirectory("spinneret-tls");
            Path store = dir.resolve("server.p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                    "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit", "-keypass",
                    "changeit").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("keytool failed: " + out);
            }
            dir.toFile().deleteOnExit();
            store.toFile().deleteOnExit();
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
