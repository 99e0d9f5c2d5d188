// Package ledger reads what the plugin needs of the service's address ledger: the name of the SpinneretIPBlock that
// holds an address, and which reservation id a block's spec.allocatedIPs gives that address. The encoding is the
// service's (dev.spinneret.ip.AllocationLedger, decoded by LedgerCodec); this reader is as strict as the Java one and
// refuses anything else, naming the entry.
package ledger

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Marker is SpiderIPPool status.allocatedIPs of a pool whose ledger lives in SpinneretIPBlocks.
const Marker = "spinneret-blocks/v1"

// BlockName is the name of the SpinneretIPBlock of pool poolUID that holds a: "<pool UID>-<hex of the block's first
// address>", the block being the 256 addresses that share all but the last 8 bits (Java PoolBlocks.name: IPv4
// %08x of the /24 base, IPv6 %016x%016x of the address with its last 8 bits zeroed).
func BlockName(poolUID string, a netip.Addr) string {
	if a.Is4() {
		b := a.As4()
		b[3] = 0
		return poolUID + "-" + hex.EncodeToString(b[:])
	}
	b := a.As16()
	b[15] = 0
	return poolUID + "-" + hex.EncodeToString(b[:])
}

// Entry is one allocation: an address and the reservation id holding it.
type Entry struct {
	Addr netip.Addr
	ID   string
}

// Error is an encoding that is not a valid ledger.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func fail(index int, entry, format string, a ...any) *Error {
	return &Error{Msg: fmt.Sprintf("invalid allocation ledger: entry %d %q: ", index, entry) + fmt.Sprintf(format, a...)}
}

// ValidID checks a reservation id: [a-z0-9]{1,16} (the ledger's and the annotation's).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')) {
			return false
		}
	}
	return true
}

// Decode parses an encoded ledger of one family (v6 false: IPv4): entries "<addr>=<id>" sorted by ascending address
// and separated by ",", where <addr> is the canonical address (dotted quad; RFC 5952) or, relative to the previous
// entry, ".<last octet in decimal>" (IPv4) or ":<last 16-bit group in lowercase hex>" (IPv6), without leading zeros.
// The empty string is the empty ledger. Like the service's decoder it refuses garbage, non-canonical addresses,
// malformed short forms, a short form first, duplicate or unsorted addresses, invalid ids and addresses of the other
// family.
func Decode(v6 bool, s string) ([]Entry, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]Entry, 0, strings.Count(s, ",")+1)
	start := 0
	for n := 0; ; n++ {
		end := strings.IndexByte(s[start:], ',')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		entry := s[start:end]
		if entry == "" {
			if end == len(s) {
				return nil, fail(n, "", "the ledger must not end with \",\"")
			}
			return nil, fail(n, "", "empty entry (two commas in a row or a leading comma)")
		}
		eq := strings.IndexByte(entry, '=')
		if eq < 0 {
			return nil, fail(n, entry, "expected <address>=<reservation id>")
		}
		if eq == 0 {
			return nil, fail(n, entry, "the address before \"=\" is missing")
		}
		text, id := entry[:eq], entry[eq+1:]
		if !ValidID(id) {
			return nil, fail(n, entry, "reservation id %q must be 1 to 16 characters of a-z and 0-9", id)
		}
		var a netip.Addr
		relative := (!v6 && text[0] == '.') || (v6 && text[0] == ':' && (len(text) < 2 || text[1] != ':'))
		switch {
		case relative && n == 0:
			return nil, fail(n, entry, "the first entry must have a full address, not the short form %q", text)
		case relative && !v6:
			octet, ok := number(text[1:], 10, 3, 255)
			if !ok {
				return nil, fail(n, entry, "short form %q must be \".\" and the last octet: 0 to 255 in decimal without leading zeros", text)
			}
			b := out[n-1].Addr.As4()
			b[3] = byte(octet)
			a = netip.AddrFrom4(b)
		case relative:
			group, ok := number(text[1:], 16, 4, 0xffff)
			if !ok {
				return nil, fail(n, entry, "short form %q must be \":\" and the last group: 1 to 4 lowercase hex digits without leading zeros", text)
			}
			b := out[n-1].Addr.As16()
			b[14], b[15] = byte(group>>8), byte(group)
			a = netip.AddrFrom16(b)
		default:
			var err error
			a, err = netip.ParseAddr(text)
			family := 4
			if v6 {
				family = 6
			}
			if err != nil || a.Zone() != "" || a.Is4() == v6 {
				return nil, fail(n, entry, "%q is not a valid IPv%d address", text, family)
			}
			if a.String() != text {
				return nil, fail(n, entry, "address %q must be written in canonical form %s", text, a)
			}
		}
		if n > 0 {
			switch prev := out[n-1].Addr; a.Compare(prev) {
			case 0:
				return nil, fail(n, entry, "address %s appears twice (entries %d and %d)", a, n-1, n)
			case -1:
				return nil, fail(n, entry, "address %s is not greater than the previous address %s (entries must be sorted by address)", a, prev)
			}
		}
		out = append(out, Entry{Addr: a, ID: id})
		if end == len(s) {
			return out, nil
		}
		start = end + 1
	}
}

// number parses 1 to maxDigits digits of the base (lowercase hex for 16) without a leading zero, at most max.
func number(s string, base, maxDigits int, max uint64) (uint64, bool) {
	if len(s) < 1 || len(s) > maxDigits || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (base == 16 && c >= 'a' && c <= 'f')) {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, base, 32)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

// Holder decodes the ledger (of a's family) and returns the id holding a; found is false when a has no entry.
func Holder(encoded string, a netip.Addr) (id string, found bool, err error) {
	entries, err := Decode(!a.Is4(), encoded)
	if err != nil {
		return "", false, err
	}
	for _, e := range entries {
		if e.Addr == a {
			return e.ID, true, nil
		}
	}
	return "", false, nil
}
