// Package apitest is a test double of the kube-apiserver for the plugin's Go tests: a TLS server (certificates
// made per test) that stores pods and SpiderEndpoints (and serves SpinneretIPBlocks and SpiderIPPools), answers server-side apply and merge patches with
// resourceVersion preconditions, and can behave like a CRD that still has a status subresource. Concurrency and
// real apply semantics are tested against the real kube-apiserver in the Java ITs.
package apitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Cert is a certificate and its key in PEM.
type Cert struct {
	CertPEM, KeyPEM []byte
	cert            *x509.Certificate
	key             *ecdsa.PrivateKey
}

// NewCA makes a self-signed CA.
func NewCA(t testing.TB, name string) *Cert {
	return issue(t, nil, &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature})
}

// Server issues a serving certificate for the given DNS names and IPs.
func (ca *Cert) Server(t testing.TB, dns []string, ips []net.IP) *Cert {
	return issue(t, ca, &x509.Certificate{Subject: pkix.Name{CommonName: "kube-apiserver"}, DNSNames: dns, IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
}

// Client issues a client certificate.
func (ca *Cert) Client(t testing.TB, user string) *Cert {
	return issue(t, ca, &x509.Certificate{Subject: pkix.Name{CommonName: user},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}

var serial int64

func issue(t testing.TB, parent *Cert, tmpl *x509.Certificate) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kd, _ := x509.MarshalECPrivateKey(key)
	return &Cert{CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), cert: cert, key: key}
}

// Request is one request the server saw.
type Request struct {
	Method, Path, ContentType, Auth, Query string
	ClientCN                               string
	Body                                   []byte
}

// Server is the fake API server.
type Server struct {
	*httptest.Server
	CA *Cert

	mu        sync.Mutex
	Pods      map[string]map[string]any // "ns/name" → object
	Endpoints map[string]map[string]any
	// Blocks and Pools are the cluster-scoped SpinneretIPBlocks and SpiderIPPools by name (GET only).
	Blocks   map[string]map[string]any
	Pools    map[string]map[string]any
	Requests []Request
	rv       int
	// StatusSubresource makes the server behave like a SpiderEndpoint CRD with a status subresource: status in
	// writes to the main resource is ignored, /status takes it.
	StatusSubresource bool
	// Fail answers every request with this status (0: normal); with FailOnly, only requests whose path contains it.
	Fail     int
	FailOnly string
	// Delay holds every answer this long.
	Delay time.Duration
	// Token, if set, is the bearer token every request must carry (401 otherwise).
	Token string
	// ConflictsLeft makes this many merge patches fail with 409 first.
	ConflictsLeft int
	// FailOnce, if set, fails the first later request it matches, and only that one (see FailNext).
	FailOnce *OneFailure
}

// OneFailure is a single injected failure: the first request with Method whose path contains PathContains is
// answered with Status.
type OneFailure struct {
	Method       string
	PathContains string
	Status       int
}

// FailNext makes the next request with method whose path contains pathContains fail with status; the requests
// before it (e.g. the read that precedes a write) and after it are served normally.
func (s *Server) FailNext(method, pathContains string, status int) {
	s.Set(func(s *Server) { s.FailOnce = &OneFailure{Method: method, PathContains: pathContains, Status: status} })
}

// Options for NewServer.
type Options struct {
	// DNSNames/IPs of the serving certificate (default: 127.0.0.1 only).
	DNSNames []string
	IPs      []net.IP
	// ClientCA requires client certificates signed by it.
	ClientCA *Cert
}

// NewServer starts a TLS server; it stops at the end of the test.
func NewServer(t testing.TB, o Options) *Server {
	ca := NewCA(t, "test-ca")
	ips := o.IPs
	if ips == nil && o.DNSNames == nil {
		ips = []net.IP{net.ParseIP("127.0.0.1")}
	}
	sc := ca.Server(t, o.DNSNames, ips)
	pair, err := tls.X509KeyPair(sc.CertPEM, sc.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{CA: ca, Pods: map[string]map[string]any{}, Endpoints: map[string]map[string]any{},
		Blocks: map[string]map[string]any{}, Pools: map[string]map[string]any{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	s.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	if o.ClientCA != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(o.ClientCA.CertPEM)
		s.TLS.ClientCAs = pool
		s.TLS.ClientAuth = tls.RequireAndVerifyClientCert
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// Set changes the server's behaviour fields under its lock (handlers run concurrently).
func (s *Server) Set(f func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// AddPod stores a pod.
func (s *Server) AddPod(ns, name, uid string, labels, annotations map[string]string, nodeName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rv++
	s.Pods[ns+"/"+name] = map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": ns, "uid": uid, "labels": labels, "annotations": annotations,
			"resourceVersion": fmt.Sprint(s.rv)},
		"spec": map[string]any{"nodeName": nodeName}}
}

// EditPod changes a stored pod.
func (s *Server) EditPod(ns, name string, f func(pod map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.Pods[ns+"/"+name])
}

// Endpoint returns a copy of a stored SpiderEndpoint (nil if absent).
func (s *Server) Endpoint(ns, name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.Endpoints[ns+"/"+name]
	if e == nil {
		return nil
	}
	b, _ := json.Marshal(e)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	return c
}

// PutEndpoint stores a SpiderEndpoint as given.
func (s *Server) PutEndpoint(ns, name string, obj map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rv++
	obj["metadata"].(map[string]any)["resourceVersion"] = fmt.Sprint(s.rv)
	s.Endpoints[ns+"/"+name] = obj
}

// AddPool stores a SpiderIPPool with this UID whose ledger lives in SpinneretIPBlocks (status.allocatedIPs is the
// marker), or, with inline, one whose ledger was not moved yet.
func (s *Server) AddPool(name, uid string, inline bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rv++
	ledger := "spinneret-blocks/v1"
	if inline {
		ledger = ""
	}
	s.Pools[name] = map[string]any{"apiVersion": "spiderpool.spidernet.io/v2beta1", "kind": "SpiderIPPool",
		"metadata": map[string]any{"name": name, "uid": uid, "resourceVersion": fmt.Sprint(s.rv)},
		"status":   map[string]any{"allocatedIPs": ledger}}
}

// PutBlock stores a SpinneretIPBlock with this spec (pool, poolUID, ipVersion, firstIP, allocatedIPs, holders).
func (s *Server) PutBlock(name string, spec map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rv++
	s.Blocks[name] = map[string]any{"apiVersion": "ipam.spinneret.dev/v1alpha1", "kind": "SpinneretIPBlock",
		"metadata": map[string]any{"name": name, "resourceVersion": fmt.Sprint(s.rv)}, "spec": spec}
}

// Seen returns the requests so far.
func (s *Server) Seen() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.Requests...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func status(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": msg, "code": code})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"),
		Auth: r.Header.Get("Authorization"), Body: body}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		req.ClientCN = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	s.mu.Lock()
	s.Requests = append(s.Requests, req)
	delay, fail, token := s.Delay, s.Fail, s.Token
	if s.FailOnly != "" && !strings.Contains(r.URL.Path, s.FailOnly) {
		fail = 0
	}
	if f := s.FailOnce; f != nil && fail == 0 && r.Method == f.Method && strings.Contains(r.URL.Path, f.PathContains) {
		fail, s.FailOnce = f.Status, nil
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
		status(w, 401, "Unauthorized", "Unauthorized")
		return
	}
	if fail != 0 {
		status(w, fail, http.StatusText(fail), "injected failure")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 6 && parts[0] == "api" && parts[4] == "pods" && r.Method == http.MethodGet:
		if p := s.Pods[parts[3]+"/"+parts[5]]; p != nil {
			writeJSON(w, 200, p)
			return
		}
		status(w, 404, "NotFound", "pods \""+parts[5]+"\" not found")
	case len(parts) == 5 && parts[0] == "apis" && r.Method == http.MethodGet &&
		(parts[1]+"/"+parts[2]+"/"+parts[3] == "ipam.spinneret.dev/v1alpha1/spinneretipblocks" ||
			parts[1]+"/"+parts[2]+"/"+parts[3] == "spiderpool.spidernet.io/v2beta1/spiderippools"):
		store := s.Blocks
		if parts[3] == "spiderippools" {
			store = s.Pools
		}
		if o := store[parts[4]]; o != nil {
			writeJSON(w, 200, o)
			return
		}
		status(w, 404, "NotFound", parts[3]+" \""+parts[4]+"\" not found")
	case len(parts) >= 7 && parts[0] == "apis" && parts[5] == "spiderendpoints":
		s.endpoint(w, r, parts[4], parts[6], len(parts) == 8 && parts[7] == "status", body)
	default:
		status(w, 404, "NotFound", "no route "+r.URL.Path)
	}
}

func (s *Server) endpoint(w http.ResponseWriter, r *http.Request, ns, name string, sub bool, body []byte) {
	key := ns + "/" + name
	cur := s.Endpoints[key]
	switch r.Method {
	case http.MethodGet:
		if cur == nil {
			status(w, 404, "NotFound", "spiderendpoints \""+name+"\" not found")
			return
		}
		writeJSON(w, 200, cur)
	case http.MethodPatch:
		var patch map[string]any
		if err := json.Unmarshal(body, &patch); err != nil {
			status(w, 400, "BadRequest", err.Error())
			return
		}
		apply := r.Header.Get("Content-Type") == "application/apply-patch+yaml"
		if cur == nil {
			if !apply || sub {
				status(w, 404, "NotFound", "spiderendpoints \""+name+"\" not found")
				return
			}
			cur = map[string]any{"apiVersion": patch["apiVersion"], "kind": patch["kind"],
				"metadata": map[string]any{"name": name, "namespace": ns, "uid": "se-" + name}}
		}
		if !apply {
			if rv, _ := mapAt(patch, "metadata")["resourceVersion"].(string); rv != "" {
				if s.ConflictsLeft > 0 || rv != mapAt(cur, "metadata")["resourceVersion"] {
					if s.ConflictsLeft > 0 {
						s.ConflictsLeft--
					}
					status(w, 409, "Conflict", "the object has been modified")
					return
				}
			}
		}
		if s.StatusSubresource {
			if sub {
				patch = map[string]any{"status": patch["status"]}
			} else {
				delete(patch, "status")
			}
		}
		if apply {
			applyInto(cur, patch)
		} else {
			mergeInto(cur, patch)
		}
		s.rv++
		mapAt(cur, "metadata")["resourceVersion"] = fmt.Sprint(s.rv)
		s.Endpoints[key] = cur
		writeJSON(w, 200, cur)
	default:
		status(w, 405, "MethodNotAllowed", r.Method)
	}
}

func mapAt(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	if v == nil {
		v = map[string]any{}
		m[key] = v
	}
	return v
}

// mergeInto is RFC 7386.
func mergeInto(dst, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			dm, ok := dst[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			mergeInto(dm, pm)
			continue
		}
		dst[k] = v
	}
}

// applyInto approximates server-side apply for this one field manager: maps merge, lists are replaced, except
// metadata.ownerReferences, where entries of kinds other than Pod (another manager's) are kept.
func applyInto(dst, patch map[string]any) {
	var kept []any
	if md, ok := dst["metadata"].(map[string]any); ok {
		if owners, ok := md["ownerReferences"].([]any); ok {
			for _, o := range owners {
				if om, _ := o.(map[string]any); om["kind"] != "Pod" {
					kept = append(kept, o)
				}
			}
		}
	}
	mergeInto(dst, patch)
	if md, ok := dst["metadata"].(map[string]any); ok && kept != nil {
		owners, _ := md["ownerReferences"].([]any)
		md["ownerReferences"] = append(kept, owners...)
	}
}

// Kubeconfig writes a kubeconfig for this server and returns its path. user is the YAML of the user entry
// (e.g. "token: abc").
func (s *Server) Kubeconfig(t testing.TB, dir, user string) string {
	return WriteKubeconfig(t, dir, s.URL, "certificate-authority-data: "+B64(s.CA.CertPEM), user)
}

// WriteKubeconfig writes a kubeconfig with one cluster (server URL and extra cluster YAML) and one user.
func WriteKubeconfig(t testing.TB, dir, server, cluster, user string) string {
	t.Helper()
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: %s
    %s
users:
- name: u
  user:
    %s
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`, server, indent(cluster), indent(user))
	p := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

// B64 is standard base64, as kubeconfig *-data fields take it.
func B64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
