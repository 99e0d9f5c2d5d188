// Package result turns one interface's reservation into the CNI result. The CNI library renders it in the
// caller's cniVersion (0.3.1/0.4.0 add "version": "4"|"6" to each ips[] entry).
package result

import (
	"net"

	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"

	"spinneret.dev/cni/config"
	"spinneret.dev/cni/reservation"
)

// Build returns ips[] (address and gateway), then routes[]: a default route per family via its gateway unless
// cleanGateway is set (on the entry or in the config), there is no gateway, or the entry routes that destination
// itself; then the entry's routes. "interface" is never set: an IPAM plugin creates no interfaces.
// The reservation was validated by reservation.Parse, so the addresses parse.
// The result is at the library's current version; GetAsVersion renders it in the caller's.
func Build(n *reservation.Interface, confCleanGateway bool, dns *config.DNS) *types100.Result {
	res := &types100.Result{CNIVersion: types100.ImplementedSpecVersion}
	clean := confCleanGateway || (n.CleanGateway != nil && *n.CleanGateway)
	routed := map[string]bool{}
	for _, r := range n.Routes {
		routed[r.Dst] = true
	}
	var defaults []*types.Route
	add := func(cidr, gateway, anyDst string) {
		if cidr == "" {
			return
		}
		ip, subnet, _ := net.ParseCIDR(cidr)
		cfg := &types100.IPConfig{Address: net.IPNet{IP: ip, Mask: subnet.Mask}}
		if gateway != "" {
			cfg.Gateway = net.ParseIP(gateway)
		}
		res.IPs = append(res.IPs, cfg)
		if !clean && gateway != "" && !routed[anyDst] {
			_, dst, _ := net.ParseCIDR(anyDst)
			defaults = append(defaults, &types.Route{Dst: *dst, GW: net.ParseIP(gateway)})
		}
	}
	add(n.IPv4, n.IPv4Gateway, "0.0.0.0/0")
	add(n.IPv6, n.IPv6Gateway, "::/0")
	res.Routes = defaults
	for _, r := range n.Routes {
		_, dst, _ := net.ParseCIDR(r.Dst)
		res.Routes = append(res.Routes, &types.Route{Dst: *dst, GW: net.ParseIP(r.GW)})
	}
	if dns != nil {
		res.DNS = types.DNS{Nameservers: dns.Nameservers, Domain: dns.Domain, Search: dns.Search, Options: dns.Options}
	}
	return res
}
