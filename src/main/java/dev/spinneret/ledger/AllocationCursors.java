package dev.spinneret.ledger;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.IpAddress;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per pool, the last address this process handed out: the next search starts after it (the writer), and it is
 * shown as {@code status.lastAllocatedIP} when the counts are written. Each replica has its own.
 */
@ApplicationScoped
public class AllocationCursors {
    /** pool UID → the last address this process handed out. */
    private final Map<String, IpAddress> cursors = new ConcurrentHashMap<>();

    /** This process's cursor for the pool, or null. */
    IpAddress of(SpiderIPPool pool) {
        return cursors.get(pool.getMetadata().getUid());
    }

    /** This process's cursor, else the one the pool's status shows (null when it shows none or garbage). */
    IpAddress orStored(SpiderIPPool pool) {
        IpAddress cursor = of(pool);
        if (cursor != null || pool.getStatus() == null || pool.getStatus().lastAllocatedIP == null) {
            return cursor;
        }
        try {
            return IpAddress.parse(pool.getStatus().lastAllocatedIP);
        } catch (RuntimeException e) {
            return null;
        }
    }

    void moved(SpiderIPPool pool, IpAddress last) {
        cursors.put(pool.getMetadata().getUid(), last);
    }
}
