/**
 * A pool's ledger in blocks of 256 addresses: the decoded {@link dev.spinneret.ledger.Block} and the pure
 * {@link dev.spinneret.ledger.BlockPlanner}, which decides which addresses a batch of reservations and releases gets.
 * No Kubernetes client, Quarkus, clock or I/O in the planner: it takes the pool's facts, a read-only view of its
 * blocks and {@code now}, and returns the plan the writer stores.
 *
 * <p>Later steps of the house redesign (issue 22) move the writer, the block store, the inline-ledger migration
 * and {@code ShrinkFence} here too.
 */
package dev.spinneret.ledger;
