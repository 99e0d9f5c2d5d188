package config

import (
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

func TestParseDefaults(t *testing.T) {
	c, e := Parse([]byte(`{"cniVersion":"1.0.0","name":"n","type":"macvlan","ipam":{"type":"spiderpool"}}`))
	if e != nil {
		t.Fatal(e)
	}
	if c.IPAMType != "spiderpool" || c.Kubeconfig != DefaultKubeconfig || c.TimeoutSeconds != 10 || c.LogFile != DefaultLogFile ||
		c.LogLevel != Info || c.LogMaxBytes != 10<<20 || c.CleanGateway || c.DNS != nil || c.CNIVersion != "1.0.0" || c.Name != "n" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestParseValues(t *testing.T) {
	c, e := Parse([]byte(`{"cniVersion":"0.4.0","name":"n","ipam":{"type":"spinneret","kubeconfig":"/k","timeout_seconds":2.5,
		"log_file_path":"/l","log_level":"WARNING","log_file_max_size":"100","clean_gateway":true,
		"dns":{"nameservers":["10.0.0.10"],"domain":"d","search":["a"],"options":["ndots:2"]},
		"default_ipv4_ippool":["x"],"match_master_subnet":true,"log_file_max_count":7}}`))
	if e != nil {
		t.Fatal(e)
	}
	if c.Kubeconfig != "/k" || c.TimeoutSeconds != 2.5 || c.LogFile != "/l" || c.LogLevel != Warn || c.LogMaxBytes != 100<<20 ||
		!c.CleanGateway || c.DNS == nil || c.DNS.Nameservers[0] != "10.0.0.10" || c.DNS.Options[0] != "ndots:2" {
		t.Fatalf("values: %+v", c)
	}
	if c, _ := Parse([]byte(`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","log_file_max_size":3,"dns":{}}}`)); c.LogMaxBytes != 3<<20 || c.DNS != nil {
		t.Fatalf("numeric max size / empty dns: %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		code uint
		msg  string
	}{
		{``, types.ErrDecodingFailure, "no network configuration"},
		{`[1]`, types.ErrDecodingFailure, "cannot decode"},
		{`{"cniVersion":"1.0.0","name":"n"}`, types.ErrInvalidNetworkConfig, `no "ipam" section`},
		{`{"name":"n","ipam":{"type":"t"}}`, types.ErrInvalidNetworkConfig, "no cniVersion"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":"x"}`, types.ErrInvalidNetworkConfig, `"ipam" must be an object, got string`},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{}}`, types.ErrInvalidNetworkConfig, "ipam.type is missing"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":3}}`, types.ErrInvalidNetworkConfig, "ipam.type must be a string, got number"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","kubeconfig":""}}`, types.ErrInvalidNetworkConfig, "ipam.kubeconfig must not be empty"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","timeout_seconds":"5"}}`, types.ErrInvalidNetworkConfig, "ipam.timeout_seconds must be a number, got string"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","timeout_seconds":0}}`, types.ErrInvalidNetworkConfig, "must be > 0 and <= 600, got 0"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","timeout_seconds":601}}`, types.ErrInvalidNetworkConfig, "must be > 0 and <= 600, got 601"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","log_level":"loud"}}`, types.ErrInvalidNetworkConfig, "ipam.log_level 'loud' is not one of"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","log_level":true}}`, types.ErrInvalidNetworkConfig, "ipam.log_level must be a string, got boolean"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","log_file_max_size":"big"}}`, types.ErrInvalidNetworkConfig, "log_file_max_size must be a positive integer"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","log_file_max_size":-1}}`, types.ErrInvalidNetworkConfig, "log_file_max_size must be a positive integer"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","clean_gateway":"yes"}}`, types.ErrInvalidNetworkConfig, "ipam.clean_gateway must be a boolean, got string"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","dns":[]}}`, types.ErrInvalidNetworkConfig, "ipam.dns must be an object, got array"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","dns":{"nameservers":[1]}}}`, types.ErrInvalidNetworkConfig, "ipam.dns.nameservers must be an array of strings"},
		{`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t","dns":{"domain":1}}}`, types.ErrInvalidNetworkConfig, "ipam.dns.domain must be a string"},
	}
	for _, tc := range cases {
		_, e := Parse([]byte(tc.in))
		if e == nil || e.Code != tc.code || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("Parse(%s) = %v, want code %d containing %q", tc.in, e, tc.code, tc.msg)
		}
	}
	if _, e := Parse([]byte(`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"t"},"pad":"` + strings.Repeat("x", 4<<20) + `"}`)); e == nil || e.Code != types.ErrDecodingFailure {
		t.Errorf("oversized config: %v", e)
	}
}

func TestLevels(t *testing.T) {
	for in, want := range map[string]Level{"debug": Debug, "TRACE": Debug, "Info": Info, "WARN": Warn, "warning": Warn, "ERROR": Error, "fatal": Error, "panic": Error} {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("ParseLevel(%q) = %v %v", in, got, ok)
		}
	}
}

func TestArgs(t *testing.T) {
	ok := []struct {
		raw  string
		want Pod
	}{
		{"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=nginx-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1", Pod{"default", "nginx-0", "u-1"}},
		{"K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=a.b-c;", Pod{"kube-system", "a.b-c", ""}},
		{"K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_NAME=p;X=a=b", Pod{"ns", "p", ""}},
		// what Multus passes its delegates: a key the plugin does not read may repeat with other values
		{"IgnoreUnknown=1;IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=two-0;K8S_POD_INFRA_CONTAINER_ID=c;K8S_POD_UID=u-2", Pod{"default", "two-0", "u-2"}},
	}
	for _, tc := range ok {
		if got, e := PodFromArgs(tc.raw); e != nil || got != tc.want {
			t.Errorf("PodFromArgs(%q) = %+v %v", tc.raw, got, e)
		}
	}
	bad := []struct{ raw, msg string }{
		{"", "lacks K8S_POD_NAMESPACE"},
		{"K8S_POD_NAMESPACE=ns", "lacks K8S_POD_NAMESPACE and/or K8S_POD_NAME"},
		{"K8S_POD_NAMESPACE=ns;K8S_POD_NAME", "'K8S_POD_NAME' is not KEY=VALUE"},
		{"=x;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p", "empty key"},
		{"K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_NAME=q", "given twice with different values"},
		{"K8S_POD_NAMESPACE=a;K8S_POD_NAMESPACE=b;K8S_POD_NAME=p", "'K8S_POD_NAMESPACE' given twice with different values"},
		{"K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_UID=u-1;K8S_POD_UID=u-2", "'K8S_POD_UID' given twice with different values"},
		{"K8S_POD_NAMESPACE=NS;K8S_POD_NAME=p", "is not a valid namespace name"},
		{"K8S_POD_NAMESPACE=ns;K8S_POD_NAME=../etc", "is not a valid pod name"},
		{"K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p-", "is not a valid pod name"},
		{"K8S_POD_NAMESPACE=" + strings.Repeat("a", 64) + ";K8S_POD_NAME=p", "is not a valid namespace name"},
	}
	for _, tc := range bad {
		if _, e := PodFromArgs(tc.raw); e == nil || e.Code != types.ErrInvalidEnvironmentVariables || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("PodFromArgs(%q) = %v, want code 4 %q", tc.raw, e, tc.msg)
		}
	}
}
