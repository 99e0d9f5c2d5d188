package dev.spinneret.tls;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Whether the webhook's serving certificate is in place. With {@code quarkus.http.ssl.certificate.files} set, Quarkus
 * loads it at start-up (and fails to start without it), so the certificate is loaded once the files are readable.
 * Without TLS configuration (plain HTTP, tests) there is nothing to wait for.
 */
@ApplicationScoped
public class WebhookTls {
    @ConfigProperty(name = "quarkus.http.ssl.certificate.files")
    Optional<String> certificateFiles;

    public boolean ready() {
        if (certificateFiles.isEmpty()) {
            return true;
        }
        for (String f : certificateFiles.get().split(",")) {
            if (!Files.isReadable(Path.of(f.trim()))) {
                return false;
            }
        }
        return true;
    }
}
