package reservation

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Contract is src/test/resources/contract/reserved-ips.json, which the Java tests of the service read too.
type Contract struct {
	Valid []struct {
		Name       string                     `json:"name"`
		Annotation json.RawMessage            `json:"annotation"`
		Results    map[string]json.RawMessage `json:"results"`
	} `json:"valid"`
	Invalid []struct {
		Name  string `json:"name"`
		Text  string `json:"text"`
		Error struct {
			Code uint   `json:"code"`
			Msg  string `json:"msg"`
		} `json:"error"`
	} `json:"invalid"`
}

// ContractPath is where the shared fixtures live, relative to this package.
const ContractPath = "../../../test/resources/contract/"

func LoadContract(t *testing.T) *Contract {
	t.Helper()
	b, err := os.ReadFile(ContractPath + "reserved-ips.json")
	if err != nil {
		t.Fatal(err)
	}
	var c Contract
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Valid) == 0 || len(c.Invalid) == 0 {
		t.Fatal("empty contract")
	}
	return &c
}

func TestContractValid(t *testing.T) {
	for _, v := range LoadContract(t).Valid {
		r, e := Parse(string(v.Annotation))
		if e != nil {
			t.Fatalf("%s: %v", v.Name, e)
		}
		var raw struct {
			ID         string            `json:"id"`
			Interfaces []json.RawMessage `json:"interfaces"`
		}
		_ = json.Unmarshal(v.Annotation, &raw)
		if r.ID != raw.ID || len(r.Raw) != len(raw.Interfaces) {
			t.Fatalf("%s: id %s, %d entries", v.Name, r.ID, len(r.Raw))
		}
		for i := range raw.Interfaces {
			if string(r.Raw[i]) != string(raw.Interfaces[i]) {
				t.Fatalf("%s: raw entry %d changed", v.Name, i)
			}
		}
		for ifName := range v.Results {
			if r.For(ifName) == nil {
				t.Fatalf("%s: no entry for %s", v.Name, ifName)
			}
		}
		if r.For("absent0") != nil {
			t.Fatalf("%s: found an interface that is not there", v.Name)
		}
	}
}

func TestContractInvalid(t *testing.T) {
	for _, v := range LoadContract(t).Invalid {
		_, e := Parse(v.Text)
		if e == nil || e.Code != v.Error.Code || !strings.Contains(e.Msg, v.Error.Msg) {
			t.Errorf("%s: Parse(%s) = %v, want %d %q", v.Name, v.Text, e, v.Error.Code, v.Error.Msg)
		}
	}
}

func TestValidID(t *testing.T) {
	for s, want := range map[string]bool{"a": true, "k2x9a0b1qz3m": true, "0123456789abcdef": true, "": false, "0123456789abcdefg": false, "A1": false, "a-1": false} {
		if validID(s) != want {
			t.Errorf("validID(%q) != %v", s, want)
		}
	}
}

func TestPoolUIDs(t *testing.T) {
	for _, v := range LoadContract(t).Valid {
		r, _ := Parse(string(v.Annotation))
		var raw struct {
			PoolUIDs map[string]string `json:"poolUIDs"`
		}
		_ = json.Unmarshal(v.Annotation, &raw)
		if len(r.PoolUIDs) != len(raw.PoolUIDs) {
			t.Fatalf("%s: poolUIDs %v", v.Name, r.PoolUIDs)
		}
		for k, want := range raw.PoolUIDs {
			if r.PoolUIDs[k] != want {
				t.Fatalf("%s: poolUIDs[%s] = %q", v.Name, k, r.PoolUIDs[k])
			}
		}
	}
	// absent and null are the legacy form
	for _, text := range []string{`{"id":"a1","interfaces":[]}`, `{"id":"a1","poolUIDs":null,"interfaces":[]}`} {
		if r, e := Parse(text); e != nil || r.PoolUIDs != nil {
			t.Fatalf("%s: %v %v", text, r, e)
		}
	}
}

func TestValidNameAndUID(t *testing.T) {
	for s, want := range map[string]bool{"p": true, "nginx-v4-ippool": true, "a.b-c": true, "": false, "-a": false, "a-": false,
		"A": false, "a/b": false, "..": false, "a b": false, strings.Repeat("a", 253): true, strings.Repeat("a", 254): false} {
		if validName(s) != want {
			t.Errorf("validName(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"6b0c4f9e-1d2a-4e9b-9a57-0f4c7d2e8a11": true, "u-1": true, "": false, "../x": false,
		"a/b": false, "A": false, "a.b": false} {
		if validUID(s) != want {
			t.Errorf("validUID(%q) != %v", s, want)
		}
	}
}
