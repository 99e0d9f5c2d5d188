package dev.spinneret.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Exposes the reserved-IP informer's lifecycle to the start-up and health beans. */
@ApplicationScoped
public class ReservedAddressesStarter {
    @Inject
    ReservedAddresses reserved;

    public void start() {
        reserved.start();
    }

    public boolean synced() {
        return reserved.synced();
    }
}
