/**
 * Garbage collection, done by the replica that holds the Lease {@code spinneret-gc}: addresses of deleted pods and
 * orphaned reservations go back to their pools, deleted pools and subnets are let go once empty, stale withdrawal
 * marks are dropped, automatic pools shrink, and the pools' counts are written ({@link
 * dev.spinneret.gc.GarbageCollector} wires it together). Nothing here decides which address a pod gets.
 */
package dev.spinneret.gc;
