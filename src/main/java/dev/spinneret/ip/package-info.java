/**
 * The pure IP address core of Spinneret: addresses, CIDRs, ranges, merged range sets, the free-address search and
 * the compact allocation ledger stored in {@code SpiderIPPool.status.allocatedIPs}.
 *
 * <p>This package depends on the JDK only (no Kubernetes, Quarkus, Jackson or I/O) so it can be unit-tested and
 * benchmarked in isolation. Addresses are held as two unsigned 64-bit words; nothing in this package ever
 * enumerates the addresses of a range, so a {@code /8} IPv4 or {@code /64} IPv6 pool costs a handful of ranges.
 *
 * <p>Every parse error is an {@link dev.spinneret.ip.IpFormatException} whose message quotes the bad input and says
 * what is wrong with it.
 */
package dev.spinneret.ip;
