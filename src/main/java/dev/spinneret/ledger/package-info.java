/**
 * A pool's ledger in {@link dev.spinneret.api.v1alpha1.SpinneretIPBlock}s of 256 addresses.
 * <ul>
 * <li>The pure core: the decoded {@link dev.spinneret.ledger.Block} and {@link dev.spinneret.ledger.BlockPlanner},
 * which decides which addresses a batch of reservations and releases gets. No Kubernetes client, Quarkus, clock or
 * I/O in it (LayersTest): it takes the pool's facts, a read-only view of its blocks and {@code now}, and returns the
 * plan the writer stores.</li>
 * <li>The writer: {@link dev.spinneret.ledger.PoolLedgerWriter} (per-pool queue, {@link dev.spinneret.ledger.BatchQueue})
 * and {@link dev.spinneret.ledger.BatchWriter} (plan, compare-and-swap per block, fences, retries).</li>
 * <li>The block store {@link dev.spinneret.ledger.PoolBlocks} (watched view, fresh reads, conditional writes), the
 * {@link dev.spinneret.ledger.InlineLedgerMigration} of an earlier version's ledger, the
 * {@link dev.spinneret.ledger.ShrinkFence} the pool webhook uses, and {@link dev.spinneret.ledger.PoolCounts}, the
 * pools' counts in their status.</li>
 * </ul>
 */
package dev.spinneret.ledger;
