package plugin

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"

	"spinneret.dev/cni/config"
	"spinneret.dev/cni/internal/apitest"
	"spinneret.dev/cni/reservation"
)

const (
	contractDir = "../../../test/resources/contract/"
	podUID      = "6b0c4f9e-1d2a-4e9b-9a57-0f4c7d2e8a11"
	containerID = "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f"
)

// the annotation of reserved-ips.json "dual-stack-two-nics"
func contractAnnotation(t *testing.T) string {
	b, err := os.ReadFile(contractDir + "reserved-ips.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Valid []struct {
			Name       string          `json:"name"`
			Annotation json.RawMessage `json:"annotation"`
		} `json:"valid"`
	}
	_ = json.Unmarshal(b, &c)
	for _, v := range c.Valid {
		if v.Name == "dual-stack-two-nics" {
			return string(v.Annotation)
		}
	}
	t.Fatal("fixture missing")
	return ""
}

type env struct {
	s    *apitest.Server
	conf *config.Conf
	p    *Plugin
}

func setup(t *testing.T, ipamExtra string) *env {
	s := apitest.NewServer(t, apitest.Options{})
	kc := s.Kubeconfig(t, t.TempDir(), "token: t")
	conf, e := config.Parse([]byte(`{"cniVersion":"1.0.0","name":"macvlan","ipam":{"type":"spinneret","kubeconfig":"` + kc + `"` + ipamExtra + `}}`))
	if e != nil {
		t.Fatal(e)
	}
	return &env{s: s, conf: conf, p: &Plugin{Getenv: func(string) string { return "" }}}
}

func (e *env) addPod(t *testing.T, annotation string, label string) {
	e.s.AddPod("default", "nginx-m-0", podUID, map[string]string{reservation.Label: label},
		map[string]string{reservation.Annotation: annotation}, "worker-1")
}

func args(ifName, extra string) *skel.CmdArgs {
	return &skel.CmdArgs{ContainerID: containerID, Netns: "/var/run/netns/x", IfName: ifName,
		Args: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=nginx-m-0;K8S_POD_UID=" + podUID + extra}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestAddConfirmsWithOneReadAndOneWrite(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	res, err := e.p.Add(ctx(t), args("eth0", ""), e.conf)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.IPs) != 2 || res.IPs[0].Address.String() != "10.244.120.10/16" || res.IPs[1].Address.String() != "fd00::a/64" {
		t.Fatalf("result %+v", res)
	}
	seen := e.s.Seen()
	if len(seen) != 2 || seen[0].Method != "GET" || seen[1].Method != "PATCH" ||
		seen[1].ContentType != "application/apply-patch+yaml" || !strings.Contains(seen[1].Query, "fieldManager=spinneret-cni") {
		t.Fatalf("API calls: %+v", seen)
	}
	// the applied object is the shared contract's SpiderEndpoint, which the Java tests read
	fixture, _ := os.ReadFile(contractDir + "spiderendpoint-applied.json")
	var want, got map[string]any
	_ = json.Unmarshal(fixture, &want)
	delete(want, "about")
	_ = json.Unmarshal(seen[1].Body, &got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("applied\n%s\nwant the fixture\n%s", seen[1].Body, fixture)
	}
	// Multus' second interface is served from its own entry
	res, err = e.p.Add(ctx(t), args("net1", ""), e.conf)
	if err != nil || len(res.IPs) != 1 || res.IPs[0].Address.String() != "172.18.40.7/24" || len(res.Routes) != 0 {
		t.Fatalf("net1: %+v %v", res, err)
	}
}

func TestAddKeepsOtherOwnersAndReplacesAnOlderPod(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	e.s.PutEndpoint("default", "nginx-m-0", map[string]any{"apiVersion": "spiderpool.spidernet.io/v2beta1", "kind": "SpiderEndpoint",
		"metadata": map[string]any{"name": "nginx-m-0", "namespace": "default",
			"ownerReferences": []any{map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "nginx-m", "uid": "sts"},
				map[string]any{"apiVersion": "v1", "kind": "Pod", "name": "nginx-m-0", "uid": "old-pod"}}},
		"status": map[string]any{"ownerControllerType": "StatefulSet", "ownerControllerName": "nginx-m",
			"current": map[string]any{"uid": "old-pod", "reservationID": "old", "containerID": "c0", "node": "n0", "ips": []any{}}}})
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	ep := e.s.Endpoint("default", "nginx-m-0")
	owners, _ := json.Marshal(ep["metadata"].(map[string]any)["ownerReferences"])
	if !strings.Contains(string(owners), `"StatefulSet"`) || strings.Contains(string(owners), "old-pod") || !strings.Contains(string(owners), podUID) {
		t.Fatalf("owners %s", owners)
	}
	st := ep["status"].(map[string]any)
	cur := st["current"].(map[string]any)
	if st["ownerControllerType"] != "StatefulSet" || cur["reservationID"] != "k2x9a0b1qz3m" || cur["uid"] != podUID || cur["node"] != "worker-1" {
		t.Fatalf("status %v", st)
	}
}

func TestAddWithAnOldCRDThatHasAStatusSubresource(t *testing.T) {
	e := setup(t, "")
	e.s.Set(func(s *apitest.Server) { s.StatusSubresource = true })
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	cur := e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)
	if cur["containerID"] != containerID {
		t.Fatalf("status not written through /status: %v", cur)
	}
	if n := len(e.s.Seen()); n != 3 {
		t.Fatalf("want GET + apply + status apply, got %d calls", n)
	}
}

func TestAddErrors(t *testing.T) {
	good := contractAnnotation(t)
	cases := []struct {
		name       string
		annotation string
		label      string
		noPod      bool
		ifName     string
		extraArgs  string
		fail       int
		deleted    time.Duration
		code       uint
		msg        string
	}{
		{name: "pod not found", noPod: true, code: ErrPodNotFound, msg: "pod default/nginx-m-0 not found"},
		{name: "recreated pod", extraArgs: ";K8S_POD_UID=other", code: ErrUIDMismatch, msg: "but the runtime asked for UID other"},
		{name: "no annotation", annotation: "", code: ErrNoReservation, msg: "has no ipam.spidernet.io/reserved-ips annotation"},
		{name: "no entry for the interface", ifName: "net2", code: ErrNoReservation, msg: "has no entry for interface net2"},
		{name: "entry without an address", annotation: `{"id":"k2x9a0b1qz3m","interfaces":[{"interface":"eth0"}]}`, code: ErrNoReservation, msg: "reserves no address"},
		{name: "bad annotation", annotation: `{"id":"k2x9a0b1qz3m","interfaces":[{"interface":"eth0","ipv4":"10.0.0.1"}]}`, code: ErrBadReservation, msg: "CIDR"},
		{name: "label differs", label: "other", code: ErrReservationNotHeld, msg: "the garbage collector does not count it"},
		{name: "terminating past grace", deleted: -time.Minute, code: ErrReservationNotHeld, msg: "terminating past its grace period"},
		{name: "terminating within grace is served", deleted: time.Minute},
		{name: "forbidden", fail: 403, code: ErrAPI, msg: "HTTP 403"},
		{name: "other 4xx", fail: 422, code: ErrAPI, msg: "HTTP 422"},
		{name: "server error", fail: 500, code: types.ErrTryAgainLater, msg: "HTTP 500"},
		{name: "throttled", fail: 429, code: types.ErrTryAgainLater, msg: "HTTP 429"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, "")
			ann, label := good, "k2x9a0b1qz3m"
			if tc.annotation != "" || tc.name == "no annotation" {
				ann = tc.annotation
			}
			if tc.label != "" {
				label = tc.label
			}
			if !tc.noPod {
				e.addPod(t, ann, label)
			}
			if tc.deleted != 0 {
				e.s.EditPod("default", "nginx-m-0", func(p map[string]any) {
					p["metadata"].(map[string]any)["deletionTimestamp"] = time.Now().Add(tc.deleted).UTC().Format(time.RFC3339)
				})
			}
			e.s.Set(func(s *apitest.Server) { s.Fail = tc.fail })
			ifName := "eth0"
			if tc.ifName != "" {
				ifName = tc.ifName
			}
			a := args(ifName, "")
			if tc.extraArgs != "" {
				a.Args = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=nginx-m-0" + tc.extraArgs
			}
			_, err := e.p.Add(ctx(t), a, e.conf)
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Code != tc.code || !strings.Contains(err.Msg, tc.msg) {
				t.Fatalf("got %v, want %d %q", err, tc.code, tc.msg)
			}
			// nothing is confirmed for a pod that does not get its address
			if ep := e.s.Endpoint("default", "nginx-m-0"); ep != nil && tc.fail == 0 {
				t.Fatalf("endpoint written on error: %v", ep)
			}
		})
	}
}

func TestAddConnectionErrors(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	// a slow API server: the context deadline ends the call with "try again later"
	e.s.Set(func(s *apitest.Server) { s.Delay = 2 * time.Second })
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := e.p.Add(c, args("eth0", ""), e.conf)
	if err == nil || err.Code != types.ErrTryAgainLater || !strings.Contains(err.Msg, "timed out") {
		t.Fatalf("slow server: %v", err)
	}
	e.s.Set(func(s *apitest.Server) { s.Delay = 0 })
	// a server certificate the kubeconfig's CA did not sign
	other := apitest.NewServer(t, apitest.Options{})
	kc := apitest.WriteKubeconfig(t, t.TempDir(), other.URL, "certificate-authority-data: "+apitest.B64(e.s.CA.CertPEM), "token: t")
	conf := *e.conf
	conf.Kubeconfig = kc
	_, err = e.p.Add(ctx(t), args("eth0", ""), &conf)
	if err == nil || err.Code != ErrAPI || !strings.Contains(err.Msg, "TLS verification of the API server failed") {
		t.Fatalf("bad certificate: %v", err)
	}
	// no kubeconfig yet (installer not run): try again later; an unusable one: invalid config
	conf.Kubeconfig = t.TempDir() + "/absent"
	if _, err = e.p.Add(ctx(t), args("eth0", ""), &conf); err == nil || err.Code != types.ErrTryAgainLater || !strings.Contains(err.Details, "installer") {
		t.Fatalf("absent kubeconfig: %v", err)
	}
	conf.Kubeconfig = apitest.WriteKubeconfig(t, t.TempDir(), other.URL, "insecure-skip-tls-verify: true", "exec: {apiVersion: client.authentication.k8s.io/v1, command: x}")
	if _, err = e.p.Add(ctx(t), args("eth0", ""), &conf); err == nil || err.Code != types.ErrInvalidNetworkConfig {
		t.Fatalf("exec user: %v", err)
	}
	if e := (&Plugin{}).Status(&conf); e == nil || e.Code != types.ErrPluginNotAvailable {
		t.Fatalf("STATUS with an unusable kubeconfig: %v", e)
	}
	if e := (&Plugin{}).Status(e.conf); e != nil {
		t.Fatalf("STATUS: %v", e)
	}
	// missing pod identity
	a := args("eth0", "")
	a.Args = "K8S_POD_NAMESPACE=default"
	if _, err = e.p.Add(ctx(t), a, e.conf); err == nil || err.Code != types.ErrInvalidEnvironmentVariables {
		t.Fatalf("no pod name: %v", err)
	}
}

func TestCheck(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	if err := e.p.Check(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	prev := func(addrs ...string) *config.Conf {
		ips := []string{}
		for _, a := range addrs {
			ips = append(ips, `{"address":"`+a+`"}`)
		}
		kc := e.conf.Kubeconfig
		c, err := config.Parse([]byte(`{"cniVersion":"1.0.0","name":"m","ipam":{"type":"spinneret","kubeconfig":"` + kc +
			`"},"prevResult":{"cniVersion":"1.0.0","ips":[` + strings.Join(ips, ",") + `]}}`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := e.p.Check(ctx(t), args("eth0", ""), prev("fd00:0::a/64", "10.244.120.10/16")); err != nil {
		t.Fatalf("matching prevResult: %v", err)
	}
	for _, bad := range [][]string{{"10.244.120.11/16", "fd00::a/64"}, {"10.244.120.10/16"}, {"10.244.120.10/24", "fd00::a/64"}} {
		if err := e.p.Check(ctx(t), args("eth0", ""), prev(bad...)); err == nil || err.Code != ErrCheckMismatch {
			t.Fatalf("prevResult %v: %v", bad, err)
		}
	}
	if n := len(e.s.Seen()); n != 5 {
		t.Fatalf("CHECK must only read the pod: %d calls", n)
	}
	if e.s.Endpoint("default", "nginx-m-0") != nil {
		t.Fatal("CHECK wrote")
	}
}

func TestDel(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	cid := func() any {
		return e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)["containerID"]
	}
	// another sandbox's DEL leaves the endpoint alone
	other := args("eth0", "")
	other.ContainerID = "other"
	e.p.Del(ctx(t), other, e.conf)
	if cid() != containerID {
		t.Fatal("DEL of another container changed the endpoint")
	}
	// conflicts are re-read and retried
	e.s.Set(func(s *apitest.Server) { s.ConflictsLeft = 2 })
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	if cid() != "" {
		t.Fatalf("containerID not cleared: %v", cid())
	}
	cur := e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)
	if cur["reservationID"] != "k2x9a0b1qz3m" || len(cur["ips"].([]any)) != 2 {
		t.Fatalf("DEL released or changed more than containerID: %v", cur)
	}
	// idempotent, and tolerant of everything being gone or broken
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	e.s.Set(func(s *apitest.Server) { s.Endpoints = map[string]map[string]any{} })
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	e.s.Set(func(s *apitest.Server) { s.Fail = 500 })
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	noArgs := args("eth0", "")
	noArgs.Args = ""
	e.p.Del(ctx(t), noArgs, e.conf)
	conf := *e.conf
	conf.Kubeconfig = "/nonexistent"
	e.p.Del(ctx(t), args("eth0", ""), &conf)
}

func TestDelWithAnOldCRDThatHasAStatusSubresource(t *testing.T) {
	e := setup(t, "")
	e.s.Set(func(s *apitest.Server) { s.StatusSubresource = true })
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	if c := e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)["containerID"]; c != "" {
		t.Fatalf("containerID %v", c)
	}
}
