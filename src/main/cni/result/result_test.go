package result

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"spinneret.dev/cni/config"
	"spinneret.dev/cni/reservation"
)

func contract(t *testing.T) []struct {
	Name       string                     `json:"name"`
	Annotation json.RawMessage            `json:"annotation"`
	Results    map[string]json.RawMessage `json:"results"`
} {
	b, err := os.ReadFile("../../../test/resources/contract/reserved-ips.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Valid []struct {
			Name       string                     `json:"name"`
			Annotation json.RawMessage            `json:"annotation"`
			Results    map[string]json.RawMessage `json:"results"`
		} `json:"valid"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.Valid
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// The shared fixtures' results, rendered at 1.0.0.
func TestContractResults(t *testing.T) {
	for _, v := range contract(t) {
		r, e := reservation.Parse(string(v.Annotation))
		if e != nil {
			t.Fatal(e)
		}
		for ifName, want := range v.Results {
			res, err := Build(r.For(ifName), false, nil).GetAsVersion("1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			got := asMap(t, res)
			var w map[string]any
			_ = json.Unmarshal(want, &w)
			if !reflect.DeepEqual(got, w) {
				t.Errorf("%s %s:\n got %v\nwant %v", v.Name, ifName, got, w)
			}
		}
	}
}

func TestVersionsCleanGatewayAndDNS(t *testing.T) {
	r, _ := reservation.Parse(`{"id":"a1","interfaces":[{"interface":"eth0","ipv4":"10.0.0.5/24","ipv4Pool":"p","ipv4Gateway":"10.0.0.1",
		"ipv6":"fd00::5/64","ipv6Pool":"q","ipv6Gateway":"fd00::1"}]}`)
	dns := &config.DNS{Nameservers: []string{"10.0.0.10"}, Search: []string{"svc"}}
	for _, v := range []string{"0.3.1", "0.4.0"} {
		res, err := Build(r.For("eth0"), false, dns).GetAsVersion(v)
		if err != nil {
			t.Fatal(err)
		}
		m := asMap(t, res)
		ips := m["ips"].([]any)
		if m["cniVersion"] != v || ips[0].(map[string]any)["version"] != "4" || ips[1].(map[string]any)["version"] != "6" {
			t.Errorf("%s: %v", v, m)
		}
		if _, has := ips[0].(map[string]any)["interface"]; has {
			t.Errorf("%s: an IPAM result must not set interface: %v", v, m)
		}
		if m["dns"].(map[string]any)["nameservers"].([]any)[0] != "10.0.0.10" {
			t.Errorf("%s: dns %v", v, m)
		}
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		res, err := Build(r.For("eth0"), true, nil).GetAsVersion(v)
		if err != nil {
			t.Fatal(err)
		}
		m := asMap(t, res)
		if _, has := m["routes"]; has || m["cniVersion"] != v {
			t.Errorf("clean_gateway from the config must drop default routes: %v", m)
		}
		if _, has := m["ips"].([]any)[0].(map[string]any)["version"]; has {
			t.Errorf("%s has no ips[].version: %v", v, m)
		}
	}
}
