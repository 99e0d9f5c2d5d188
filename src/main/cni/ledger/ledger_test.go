package ledger

import (
	"net/netip"
	"strings"
	"testing"
)

// the Java side's examples and names (AllocationLedgerTest, MarkerTest)
func TestBlockNameIsTheServices(t *testing.T) {
	for addr, want := range map[string]string{
		"10.0.0.77":     "u-1-0a000000",
		"10.244.120.10": "u-1-0af47800",
		"10.244.120.0":  "u-1-0af47800",
		"fd00::aff":     "u-1-fd000000000000000000000000000a00",
		"fd00::a":       "u-1-fd000000000000000000000000000000",
		"fd00::1:abcd":  "u-1-fd00000000000000000000000001ab00",
	} {
		if got := BlockName("u-1", netip.MustParseAddr(addr)); got != want {
			t.Errorf("BlockName(%s) = %s, want %s", addr, got, want)
		}
	}
}

func TestDecodeDocumentedExamples(t *testing.T) {
	cases := []struct {
		encoded string
		addr    string
		id      string
		found   bool
	}{
		{"10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00", "10.244.100.92", "ab12cd34", true},
		{"10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00", "10.244.100.90", "k2x9a0b1", true},
		{"10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00", "10.244.101.1", "zz99aa00", true},
		{"10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00", "10.244.100.91", "", false},
		{"10.0.0.0=a,.255=b,10.0.1.0=c,.1=d,11.0.1.2=e", "10.0.1.1", "d", true},
		{"10.0.0.1=a,10.0.0.2=b", "10.0.0.2", "b", true}, // a full address where the short form fits is accepted
		{"", "10.0.0.1", "", false},
		{"fd00::a=abc,:b=def,fd00::1:0=ghi", "fd00::b", "def", true},
		{"fd00::a=abc,:b=def,fd00::1:0=ghi", "fd00::1:0", "ghi", true},
		{"fd00::a=abc,:b=def,fd00::1:0=ghi", "fd00::c", "", false},
		{"::=z,:1=y,fd00::ffff=a,fd00::1:0=b,:1=c,:abcd=d,fd00::1:0:0:1:abce=e", "fd00::1:abcd", "d", true},
		{"::=z,:1=y,fd00::ffff=a,fd00::1:0=b,:1=c,:abcd=d,fd00::1:0:0:1:abce=e", "::1", "y", true},
		{"::=z,:1=y,fd00::ffff=a,fd00::1:0=b,:1=c,:abcd=d,fd00::1:0:0:1:abce=e", "fd00:0:0:1::1:abce", "e", true},
	}
	for _, c := range cases {
		id, found, err := Holder(c.encoded, netip.MustParseAddr(c.addr))
		if err != nil || id != c.id || found != c.found {
			t.Errorf("Holder(%q, %s) = %q %v %v, want %q %v", c.encoded, c.addr, id, found, err, c.id, c.found)
		}
	}
	entries, err := Decode(false, "10.0.0.0=a,.255=b,10.0.1.0=c,.1=d,11.0.1.2=e")
	if err != nil || len(entries) != 5 || entries[1].Addr != netip.MustParseAddr("10.0.0.255") || entries[3].ID != "d" {
		t.Fatalf("Decode: %v %v", entries, err)
	}
}

// the messages of the Java decoder (AllocationLedgerTest.decodeErrors)
func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		v6               bool
		encoded, message string
	}{
		{false, ".1=a", `invalid allocation ledger: entry 0 ".1=a": the first entry must have a full address, not the short form ".1"`},
		{false, "10.0.0.1=a,.1=b", `invalid allocation ledger: entry 1 ".1=b": address 10.0.0.1 appears twice (entries 0 and 1)`},
		{false, "10.0.0.1=a,10.0.0.1=b", `invalid allocation ledger: entry 1 "10.0.0.1=b": address 10.0.0.1 appears twice (entries 0 and 1)`},
		{false, "10.0.0.2=a,.1=b", `invalid allocation ledger: entry 1 ".1=b": address 10.0.0.1 is not greater than the previous address 10.0.0.2 (entries must be sorted by address)`},
		{false, "10.0.0.1=A", `invalid allocation ledger: entry 0 "10.0.0.1=A": reservation id "A" must be 1 to 16 characters of a-z and 0-9`},
		{false, "10.0.0.1=", `invalid allocation ledger: entry 0 "10.0.0.1=": reservation id "" must be 1 to 16 characters of a-z and 0-9`},
		{false, "10.0.0.1=abcdefghijklmnopq", `reservation id "abcdefghijklmnopq" must be`},
		{false, "10.0.0.1=a,", `invalid allocation ledger: entry 1 "": the ledger must not end with ","`},
		{false, ",10.0.0.1=a", `invalid allocation ledger: entry 0 "": empty entry`},
		{false, "10.0.0.1=a,,.3=b", `invalid allocation ledger: entry 1 "": empty entry`},
		{false, "10.0.0.1", `invalid allocation ledger: entry 0 "10.0.0.1": expected <address>=<reservation id>`},
		{false, "=abc", `invalid allocation ledger: entry 0 "=abc": the address before "=" is missing`},
		{false, "010.0.0.1=a", `entry 0 "010.0.0.1=a": "010.0.0.1" is not a valid IPv4 address`},
		{false, "10.0.0.1=a,.01=b", `entry 1 ".01=b": short form ".01" must be "." and the last octet: 0 to 255 in decimal without leading zeros`},
		{false, "10.0.0.1=a,.256=b", `short form ".256" must be`},
		{false, "fd00::1=a", `"fd00::1" is not a valid IPv4 address`},
		{false, "10.0.0.1=a b", `reservation id "a b" must be`},
		{true, "FD00::1=a", `invalid allocation ledger: entry 0 "FD00::1=a": address "FD00::1" must be written in canonical form fd00::1`},
		{true, "fd00::a=a,:0b=b", `entry 1 ":0b=b": short form ":0b" must be ":" and the last group: 1 to 4 lowercase hex digits without leading zeros`},
		{true, "fd00::a=a,:B=b", `short form ":B" must be`},
		{true, "fd00::a=a,.5=b", `".5" is not a valid IPv6 address`},
		{true, "10.0.0.1=a", `"10.0.0.1" is not a valid IPv6 address`},
		{true, "fe80::1%eth0=a", `is not a valid IPv6 address`},
	}
	for _, c := range cases {
		_, err := Decode(c.v6, c.encoded)
		if err == nil || !strings.Contains(err.Error(), c.message) {
			t.Errorf("Decode(%v, %q) = %v, want %q", c.v6, c.encoded, err, c.message)
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("Decode(%q): error type %T", c.encoded, err)
		}
	}
}

// AllocationLedgerTest.rejectsGarbage and rejectsGarbageV6, and more
func TestDecodeRejectsGarbage(t *testing.T) {
	v4 := []string{" ", "10.0.0.1=a ", " 10.0.0.1=a", "10.0.0.1=a, .2=b", "10.0.0.1=a;.2=b", "10.0.0.1=a=b",
		"10.0.0.1==a", "10.0.0.1=a,.2", "10.0.0.1=a,.=b", "10.0.0.1=a,.-1=b", "10.0.0.1=a,.+2=b", "10.0.0.1=a,:2=b",
		"10.0.0.1=é", "10.0.0.1=a\n", "garbage", "=", ",", "10.0.0.1=a,..2=b", "10.0.0.1/32=a", "10.0.0.1-10.0.0.2=a",
		"10.0.0.2=a,10.0.0.1=b", "10.0.1.1=a,.0=b", `{"10.0.0.1":"a"}`, "10.0.0.1=a,.2=b,", "10.0.0.1=a,.0x2=b",
		"10.0.0.1=a,.1_0=b", "10.0.0.1=a,.2 =b", "::ffff:10.0.0.1=a", "10.0.0.1=a\x00", "\x00", "10.0.0.1=a,.1000=b"}
	for _, s := range v4 {
		if _, err := Decode(false, s); err == nil {
			t.Errorf("IPv4 ledger %q accepted", s)
		}
	}
	v6 := []string{":1=a", "fd00::1=a,:=b", "fd00::1=a,:12345=b", "fd00::1=a,:g=b", "fd00::2=a,:1=b", "fd00::1=a,:1=b",
		"fd00::1=a,10.0.0.1=b", "fd00:0::1=a", "fd00::1=a,::=b", "fd00::1=a,:::2=b", "fd00::1=a,:-1=b", "fd00::1=a,:+1=b",
		"fd00::1=a,:0x1=b", "[fd00::1]=a", "fd00::01=a", "fd00:0:0:0:0:0:0:1=a"}
	for _, s := range v6 {
		if _, err := Decode(true, s); err == nil {
			t.Errorf("IPv6 ledger %q accepted", s)
		}
	}
	// the answer for an address in a damaged ledger is the error, never a guess
	if id, found, err := Holder("10.0.0.1=a,garbage", netip.MustParseAddr("10.0.0.1")); err == nil || found || id != "" {
		t.Fatalf("Holder on garbage: %q %v %v", id, found, err)
	}
	// the family is the address's: an IPv6 address is not looked up in an IPv4 ledger
	if _, _, err := Holder("10.0.0.1=a", netip.MustParseAddr("fd00::1")); err == nil {
		t.Fatal("IPv4 ledger read as IPv6")
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00", "fd00::a=abc,:b=def,fd00::1:0=ghi", "", ",", "="} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, v6 bool) {
		entries, err := Decode(v6, s)
		if err != nil {
			return
		}
		for i, e := range entries {
			if e.Addr.Is4() == v6 || !ValidID(e.ID) || (i > 0 && e.Addr.Compare(entries[i-1].Addr) <= 0) {
				t.Fatalf("%q decoded to %v", s, entries)
			}
		}
	})
}
