package kube_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spinneret.dev/cni/internal/apitest"
	"spinneret.dev/cni/kube"
)

func getPod(t *testing.T, kc string) (*kube.Pod, error) {
	t.Helper()
	c, err := kube.Load(kc)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c.GetPod(context.Background(), "default", "p")
}

func TestKubeconfigForms(t *testing.T) {
	clientCA := apitest.NewCA(t, "client-ca")
	client := clientCA.Client(t, "system:node:spinneret")
	s := apitest.NewServer(t, apitest.Options{ClientCA: clientCA})
	s.AddPod("default", "p", "uid-1", nil, nil, "n1")
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "ca.crt"), s.CA.CertPEM)
	mustWrite(t, filepath.Join(dir, "client.crt"), client.CertPEM)
	mustWrite(t, filepath.Join(dir, "client.key"), client.KeyPEM)
	certData := "client-certificate-data: " + apitest.B64(client.CertPEM) + "\nclient-key-data: " + apitest.B64(client.KeyPEM)
	cases := []struct {
		name, cluster, user string
	}{
		{"ca data, client cert data", "certificate-authority-data: " + apitest.B64(s.CA.CertPEM), certData},
		{"ca file relative to the kubeconfig, client cert files", "certificate-authority: ca.crt", "client-certificate: client.crt\nclient-key: client.key"},
		{"absolute ca file", "certificate-authority: " + filepath.Join(dir, "ca.crt"), certData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kc := apitest.WriteKubeconfig(t, dir, s.URL, tc.cluster, tc.user)
			pod, err := getPod(t, kc)
			if err != nil || pod == nil || pod.Metadata.UID != "uid-1" {
				t.Fatalf("GetPod = %+v, %v", pod, err)
			}
			seen := s.Seen()
			if cn := seen[len(seen)-1].ClientCN; cn != "system:node:spinneret" {
				t.Fatalf("client certificate not presented: CN %q", cn)
			}
		})
	}
}

func TestTokenAndTokenFile(t *testing.T) {
	s := apitest.NewServer(t, apitest.Options{})
	s.AddPod("default", "p", "uid-1", nil, nil, "n1")
	dir := t.TempDir()
	s.Set(func(s *apitest.Server) { s.Token = "static" })
	if _, err := getPod(t, s.Kubeconfig(t, dir, "token: static")); err != nil {
		t.Fatalf("token: %v", err)
	}
	// tokenFile is read by every call (every plugin process): a rotated token is used at once
	tf := filepath.Join(dir, "token")
	mustWrite(t, tf, []byte("first\n"))
	kc := s.Kubeconfig(t, dir, "tokenFile: "+tf)
	s.Set(func(s *apitest.Server) { s.Token = "first" })
	if _, err := getPod(t, kc); err != nil {
		t.Fatalf("tokenFile: %v", err)
	}
	mustWrite(t, tf, []byte("second"))
	s.Set(func(s *apitest.Server) { s.Token = "second" })
	if _, err := getPod(t, kc); err != nil {
		t.Fatalf("rotated tokenFile: %v", err)
	}
	seen := s.Seen()
	if got := seen[len(seen)-1].Auth; got != "Bearer second" {
		t.Fatalf("Authorization %q", got)
	}
	// a wrong token is the API server's 401
	s.Set(func(s *apitest.Server) { s.Token = "other" })
	_, err := getPod(t, kc)
	var ae *kube.APIError
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Fatalf("want 401, got %v", err)
	}
}

func TestTLSServerNameAndVerification(t *testing.T) {
	s := apitest.NewServer(t, apitest.Options{DNSNames: []string{"apiserver.cluster.test"}})
	s.AddPod("default", "p", "uid-1", nil, nil, "n1")
	dir := t.TempDir()
	ca := "certificate-authority-data: " + apitest.B64(s.CA.CertPEM)
	// the certificate names apiserver.cluster.test only; the URL is an IP
	_, err := getPod(t, apitest.WriteKubeconfig(t, dir, s.URL, ca, "token: x"))
	var he x509.HostnameError
	if !errors.As(err, &he) {
		t.Fatalf("want a hostname error, got %v", err)
	}
	if _, err := getPod(t, apitest.WriteKubeconfig(t, dir, s.URL, ca+"\ntls-server-name: apiserver.cluster.test", "token: x")); err != nil {
		t.Fatalf("tls-server-name: %v", err)
	}
	other := apitest.NewCA(t, "other")
	_, err = getPod(t, apitest.WriteKubeconfig(t, dir, s.URL, "certificate-authority-data: "+apitest.B64(other.CertPEM)+"\ntls-server-name: apiserver.cluster.test", "token: x"))
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Fatalf("want unknown authority, got %v", err)
	}
	if _, err := getPod(t, apitest.WriteKubeconfig(t, dir, s.URL, "insecure-skip-tls-verify: true", "token: x")); err != nil {
		t.Fatalf("insecure: %v", err)
	}
}

func TestUnusableKubeconfigs(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, cluster, user string
		missing             bool
		want                string
	}{
		{"exec user", "insecure-skip-tls-verify: true", "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}", false, "uses exec/auth-provider credentials"},
		{"auth-provider user", "insecure-skip-tls-verify: true", "auth-provider: {name: oidc}", false, "uses exec/auth-provider credentials"},
		{"missing tokenFile", "insecure-skip-tls-verify: true", "tokenFile: " + filepath.Join(dir, "nope"), true, "cannot read tokenFile"},
		{"bad CA data", "certificate-authority-data: " + apitest.B64([]byte("not a certificate")), "token: x", false, "kubeconfig"},
		{"missing CA file", "certificate-authority: " + filepath.Join(dir, "nope.crt"), "token: x", false, "nope.crt"},
		{"bad client key", "insecure-skip-tls-verify: true", "client-certificate-data: " + apitest.B64([]byte("x")) + "\nclient-key-data: " + apitest.B64([]byte("y")), false, "kubeconfig"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kube.Load(apitest.WriteKubeconfig(t, dir, "https://127.0.0.1:1", tc.cluster, tc.user))
			var ce *kube.ConfigError
			if !errors.As(err, &ce) || ce.Missing != tc.missing || !strings.Contains(ce.Msg, tc.want) {
				t.Fatalf("want ConfigError{missing=%v, %q}, got %#v", tc.missing, tc.want, err)
			}
		})
	}
	_, err := kube.Load(filepath.Join(dir, "absent.kubeconfig"))
	var ce *kube.ConfigError
	if !errors.As(err, &ce) || !ce.Missing {
		t.Fatalf("absent kubeconfig: %v", err)
	}
	mustWrite(t, filepath.Join(dir, "garbage"), []byte("clusters: [unclosed"))
	if _, err := kube.Load(filepath.Join(dir, "garbage")); !errors.As(err, &ce) || ce.Missing {
		t.Fatalf("garbage kubeconfig: %v", err)
	}
}

func TestAPIErrorsAndNotFound(t *testing.T) {
	s := apitest.NewServer(t, apitest.Options{})
	c, err := kube.Load(s.Kubeconfig(t, t.TempDir(), "token: x"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.GetPod(context.Background(), "default", "absent"); p != nil || err != nil {
		t.Fatalf("absent pod: %v %v", p, err)
	}
	s.Set(func(s *apitest.Server) { s.Fail = 503 })
	_, err = c.GetPod(context.Background(), "default", "x")
	var ae *kube.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !ae.Retryable() || !strings.Contains(ae.Error(), "injected failure") {
		t.Fatalf("503: %v", err)
	}
	// an address where nothing listens
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c2, err := kube.Load(apitest.WriteKubeconfig(t, t.TempDir(), "https://"+addr, "insecure-skip-tls-verify: true", "token: x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.GetPod(context.Background(), "default", "x"); err == nil {
		t.Fatal("want a connection error")
	}
}

func TestGetBlockAndPool(t *testing.T) {
	s := apitest.NewServer(t, apitest.Options{})
	s.AddPool("p", "pu", false)
	s.PutBlock("pu-0a010000", map[string]any{"pool": "p", "poolUID": "pu", "ipVersion": 4, "firstIP": "10.1.0.0",
		"allocatedIPs": "10.1.0.7=r1", "holders": map[string]any{"r1": "default/p1"}})
	c, err := kube.Load(s.Kubeconfig(t, t.TempDir(), "token: x"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.GetBlock(context.Background(), "pu-0a010000")
	if err != nil || b == nil || b.Spec.Pool != "p" || b.Spec.PoolUID != "pu" || b.Spec.IPVersion != 4 || b.Spec.FirstIP != "10.1.0.0" ||
		b.Spec.AllocatedIPs != "10.1.0.7=r1" || b.Spec.Holders["r1"] != "default/p1" {
		t.Fatalf("GetBlock = %+v, %v", b, err)
	}
	p, err := c.GetPool(context.Background(), "p")
	if err != nil || p == nil || p.Metadata.UID != "pu" || p.Status.AllocatedIPs != "spinneret-blocks/v1" {
		t.Fatalf("GetPool = %+v, %v", p, err)
	}
	if b, err := c.GetBlock(context.Background(), "absent"); b != nil || err != nil {
		t.Fatalf("absent block: %v %v", b, err)
	}
	if p, err := c.GetPool(context.Background(), "absent"); p != nil || err != nil {
		t.Fatalf("absent pool: %v %v", p, err)
	}
	seen := s.Seen()
	if seen[0].Path != "/apis/ipam.spinneret.dev/v1alpha1/spinneretipblocks/pu-0a010000" || seen[1].Path != "/apis/spiderpool.spidernet.io/v2beta1/spiderippools/p" {
		t.Fatalf("paths %v %v", seen[0].Path, seen[1].Path)
	}
}

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLabelSelectorMatchesAsKubernetes(t *testing.T) {
	labels := map[string]string{"rack": "a", "role": ""}
	for _, tc := range []struct {
		sel  string
		want bool
	}{
		{`{}`, true},
		{`{"matchLabels":{"rack":"a"}}`, true},
		{`{"matchLabels":{"rack":"b"}}`, false},
		{`{"matchExpressions":[{"key":"rack","operator":"In","values":["b","a"]}]}`, true},
		{`{"matchExpressions":[{"key":"rack","operator":"NotIn","values":["a"]}]}`, false},
		{`{"matchExpressions":[{"key":"zone","operator":"NotIn","values":["a"]}]}`, true},
		{`{"matchExpressions":[{"key":"role","operator":"Exists"}]}`, true},
		{`{"matchExpressions":[{"key":"role","operator":"DoesNotExist"}]}`, false},
		{`{"matchLabels":{"rack":"a"},"matchExpressions":[{"key":"zone","operator":"Exists"}]}`, false},
	} {
		var s kube.LabelSelector
		if err := json.Unmarshal([]byte(tc.sel), &s); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Matches(labels); err != nil || got != tc.want {
			t.Errorf("%s: got %v %v, want %v", tc.sel, got, err, tc.want)
		}
	}
}
