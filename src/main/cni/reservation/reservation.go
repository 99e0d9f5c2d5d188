// Package reservation reads the pod annotation ipam.spidernet.io/reserved-ips that Spinneret's admission webhook
// writes (the contract in docs/cni.md, fixtures in src/test/resources/contract/). Every problem is error 106.
// The annotation is not trusted: a pod can be created with a copy of another pod's; the plugin confirms every address
// in the pool's ledger (package ledger) before it hands it out.
package reservation

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/containernetworking/cni/pkg/types"

	"spinneret.dev/cni/config"
	"spinneret.dev/cni/ledger"
)

// Annotation and label names shared with the service.
const (
	Annotation = "ipam.spidernet.io/reserved-ips"
	Label      = "ipam.spidernet.io/reservation-id"
	// ErrBadReservation is the CNI error code for an annotation that cannot be understood.
	ErrBadReservation = 106
)

func validID(s string) bool { return ledger.ValidID(s) }

// Route is a route handed to the pod.
type Route struct {
	Dst string `json:"dst"`
	GW  string `json:"gw"`
}

// Interface is one entry of "interfaces" (SpiderEndpoint's IPAllocationDetail). Address fields are CIDR strings
// ("10.244.100.90/16"); absent families are empty.
type Interface struct {
	Name         string  `json:"interface"`
	IPv4         string  `json:"ipv4,omitempty"`
	IPv4Pool     string  `json:"ipv4Pool,omitempty"`
	IPv4Gateway  string  `json:"ipv4Gateway,omitempty"`
	IPv6         string  `json:"ipv6,omitempty"`
	IPv6Pool     string  `json:"ipv6Pool,omitempty"`
	IPv6Gateway  string  `json:"ipv6Gateway,omitempty"`
	VLAN         *int64  `json:"vlan,omitempty"`
	CleanGateway *bool   `json:"cleanGateway,omitempty"`
	Routes       []Route `json:"routes,omitempty"`
}

// Reservation is the parsed annotation.
type Reservation struct {
	ID         string
	Interfaces []Interface
	// PoolUIDs is the optional top-level "poolUIDs": pool name -> the UID of the pool the reservation was made in
	// (written for every pool the annotation names since issue 21; older annotations lack it: nil).
	PoolUIDs map[string]string
	// Raw holds the "interfaces" entries exactly as the annotation has them; they are copied into the
	// SpiderEndpoint's status.current.ips.
	Raw []json.RawMessage
}

// For returns the entry for an interface name, or nil.
func (r *Reservation) For(ifName string) *Interface {
	for i := range r.Interfaces {
		if r.Interfaces[i].Name == ifName {
			return &r.Interfaces[i]
		}
	}
	return nil
}

// Names lists the reserved interface names.
func (r *Reservation) Names() []string {
	out := make([]string, 0, len(r.Interfaces))
	for _, n := range r.Interfaces {
		out = append(out, n.Name)
	}
	return out
}

func bad(format string, a ...any) *types.Error {
	return types.NewError(ErrBadReservation, "reservation annotation "+Annotation+" "+fmt.Sprintf(format, a...), "")
}

// prefix parses "address/prefix" of one family (4 or 6, 0 for either).
func prefix(s string, family int) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("'%s' is not an address in CIDR notation (address/prefix)", s)
	}
	if p.Addr().Is4In6() || (family == 4 && !p.Addr().Is4()) || (family == 6 && !p.Addr().Is6()) {
		return p, fmt.Errorf("'%s' is not an IPv%d CIDR", s, family)
	}
	return p, nil
}

// validName checks a Kubernetes object name (DNS-1123 subdomain): pool names go into API paths.
func validName(s string) bool { return config.IsK8sName(s) }

// validUID checks a Kubernetes UID as the API server writes them (lowercase UUID characters); it is the first part
// of a SpinneretIPBlock name.
func validUID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			return false
		}
	}
	return true
}

func addr(s string, family int) error {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() || (family == 4 && !a.Is4()) || (family == 6 && !a.Is6()) {
		return fmt.Errorf("'%s' is not an IPv%d address", s, family)
	}
	return nil
}

// Parse decodes and validates the annotation value.
func Parse(value string) (*Reservation, *types.Error) {
	var root struct {
		ID         *json.RawMessage  `json:"id"`
		Interfaces []json.RawMessage `json:"interfaces"`
		PoolUIDs   json.RawMessage   `json:"poolUIDs"`
	}
	if err := json.Unmarshal([]byte(value), &root); err != nil {
		return nil, bad("is not valid JSON: %v", err)
	}
	var id string
	if root.ID == nil || json.Unmarshal(*root.ID, &id) != nil || !validID(id) {
		got := "nothing"
		if root.ID != nil {
			got = string(*root.ID)
		}
		return nil, bad("has no valid \"id\" (expected [a-z0-9]{1,16}, got %s)", got)
	}
	if root.Interfaces == nil {
		return nil, bad("has no \"interfaces\" array")
	}
	r := &Reservation{ID: id, Raw: root.Interfaces}
	if len(root.PoolUIDs) > 0 && string(root.PoolUIDs) != "null" {
		if err := json.Unmarshal(root.PoolUIDs, &r.PoolUIDs); err != nil || r.PoolUIDs == nil {
			return nil, bad("has a \"poolUIDs\" that is not an object of pool names to UID strings")
		}
		for pool, uid := range r.PoolUIDs {
			if !validName(pool) {
				return nil, bad("\"poolUIDs\" names '%s', which is not a pool name", pool)
			}
			if !validUID(uid) {
				return nil, bad("\"poolUIDs\" gives pool '%s' the UID '%s', which is not a UID", pool, uid)
			}
		}
	}
	seen := map[string]bool{}
	for k, raw := range root.Interfaces {
		var n Interface
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, bad("interfaces[%d] is malformed: %v", k, err)
		}
		if n.Name == "" {
			return nil, bad("interfaces[%d] has no \"interface\" name", k)
		}
		if seen[n.Name] {
			return nil, bad("lists interface '%s' twice", n.Name)
		}
		seen[n.Name] = true
		where := "interface '" + n.Name + "'"
		if n.IPv4 != "" {
			if _, err := prefix(n.IPv4, 4); err != nil {
				return nil, bad("%s: %v", where, err)
			}
			if n.IPv4Pool == "" {
				return nil, bad("%s has ipv4 but no ipv4Pool", where)
			}
			if !validName(n.IPv4Pool) {
				return nil, bad("%s: ipv4Pool '%s' is not a pool name", where, n.IPv4Pool)
			}
		}
		if n.IPv6 != "" {
			if _, err := prefix(n.IPv6, 6); err != nil {
				return nil, bad("%s: %v", where, err)
			}
			if n.IPv6Pool == "" {
				return nil, bad("%s has ipv6 but no ipv6Pool", where)
			}
			if !validName(n.IPv6Pool) {
				return nil, bad("%s: ipv6Pool '%s' is not a pool name", where, n.IPv6Pool)
			}
		}
		if n.IPv4Gateway != "" {
			if err := addr(n.IPv4Gateway, 4); err != nil {
				return nil, bad("%s ipv4Gateway: %v", where, err)
			}
		}
		if n.IPv6Gateway != "" {
			if err := addr(n.IPv6Gateway, 6); err != nil {
				return nil, bad("%s ipv6Gateway: %v", where, err)
			}
		}
		for _, rt := range n.Routes {
			dst, err := prefix(rt.Dst, 0)
			if err != nil {
				return nil, bad("%s route: %v", where, err)
			}
			if rt.GW == "" {
				return nil, bad("%s route to %s has no gw", where, rt.Dst)
			}
			gw, err := netip.ParseAddr(rt.GW)
			if err != nil || gw.Zone() != "" {
				return nil, bad("%s route to %s: '%s' is not an IP address", where, rt.Dst, rt.GW)
			}
			if gw.Is4() != dst.Addr().Is4() {
				return nil, bad("%s route %s via %s mixes address families", where, rt.Dst, rt.GW)
			}
		}
		r.Interfaces = append(r.Interfaces, n)
	}
	return r, nil
}
