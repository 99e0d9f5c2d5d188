package dev.spinneret.selection;

/**
 * One interface's automatic-pool request: the SpiderSubnet to carve its IPv4 and/or IPv6 pool from (null when the
 * family is not wanted). Only the first subnet named per family counts, as in Spiderpool.
 */
public record SubnetRequest(String iface, String v4Subnet, String v6Subnet) {
}
