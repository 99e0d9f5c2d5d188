package dev.spinneret.cni;

import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;

/** {@link LedgerLookup} over the shared, strict {@code dev.spinneret.ip.AllocationLedger} decoder (JDK-only). */
public final class IpcoreLedger implements LedgerLookup {
    public static final IpcoreLedger INSTANCE = new IpcoreLedger();

    @Override
    public String owner(String ledger, String address) {
        IpAddress a = IpAddress.parse(address);
        return AllocationLedger.decode(a.family(), ledger).owner(a).orElse(null);
    }
}
