/**
 * What a pool's spec and a pod's reservation mean, read in one place and shared by the webhooks, the ledger, the
 * garbage collector and the caches: {@link dev.spinneret.pool.PoolSpec} (a SpiderIPPool's or SpiderSubnet's spec
 * parsed, its family), {@link dev.spinneret.pool.ReservationAnnotation} (the {@code reserved-ips} annotation),
 * owners, automatic-pool labels, StatefulSet ordinals. No client, no I/O.
 */
package dev.spinneret.pool;
