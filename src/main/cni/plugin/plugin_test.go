package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"

	"spinneret.dev/cni/cnilog"
	"spinneret.dev/cni/config"
	"spinneret.dev/cni/internal/apitest"
	"spinneret.dev/cni/reservation"
)

const (
	contractDir = "../../../test/resources/contract/"
	podUID      = "6b0c4f9e-1d2a-4e9b-9a57-0f4c7d2e8a11"
	containerID = "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f"
)

// the annotation of reserved-ips.json "dual-stack-two-nics" as written before issue 21: without poolUIDs (the
// legacy form; withUIDs adds this test's UIDs)
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
			var m map[string]json.RawMessage
			if err := json.Unmarshal(v.Annotation, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "poolUIDs")
			out, _ := json.Marshal(m)
			return string(out)
		}
	}
	t.Fatal("fixture missing")
	return ""
}

// the pools of the fixture, their UIDs and the blocks holding its addresses
var (
	poolUIDs = map[string]string{"nginx-v4-ippool": "uid-v4", "v6-pool": "uid-v6", "macvlan-ens224": "uid-m"}
	blockV4  = "uid-v4-0af47800"                         // 10.244.120.0/24
	blockV6  = "uid-v6-fd000000000000000000000000000000" // fd00::/120
	blockM   = "uid-m-ac122800"                          // 172.18.40.0/24
)

// withUIDs is the fixture's annotation with poolUIDs, as the webhook writes it since issue 21.
func withUIDs(t *testing.T, annotation string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(annotation), &m); err != nil {
		t.Fatal(err)
	}
	uids := map[string]any{}
	for k, v := range poolUIDs {
		uids[k] = v
	}
	m["poolUIDs"] = uids
	b, _ := json.Marshal(m)
	return string(b)
}

// installLedger stores the pools and the blocks that give the fixture's addresses to reservation k2x9a0b1qz3m of
// default/nginx-m-0, among other pods' reservations.
func installLedger(s *apitest.Server) {
	for name, uid := range poolUIDs {
		s.AddPool(name, uid, false)
	}
	s.PutBlock(blockV4, map[string]any{"pool": "nginx-v4-ippool", "poolUID": "uid-v4", "ipVersion": 4, "firstIP": "10.244.120.0",
		"allocatedIPs": "10.244.120.9=web1,.10=k2x9a0b1qz3m,.200=web2",
		"holders":      map[string]any{"web1": "default/web-1", "k2x9a0b1qz3m": "default/nginx-m-0", "web2": "shop/web-2"}})
	s.PutBlock(blockV6, map[string]any{"pool": "v6-pool", "poolUID": "uid-v6", "ipVersion": 6, "firstIP": "fd00::",
		"allocatedIPs": "fd00::9=web1,:a=k2x9a0b1qz3m",
		"holders":      map[string]any{"web1": "default/web-1", "k2x9a0b1qz3m": "default/nginx-m-0"}})
	s.PutBlock(blockM, map[string]any{"pool": "macvlan-ens224", "poolUID": "uid-m", "ipVersion": 4, "firstIP": "172.18.40.0",
		"allocatedIPs": "172.18.40.7=k2x9a0b1qz3m", "holders": map[string]any{"k2x9a0b1qz3m": "default/nginx-m-0"}})
}

// editSpec changes a stored block's spec; call it under the server's lock (in Set).
func editSpec(s *apitest.Server, name string, f func(spec map[string]any)) {
	f(s.Blocks[name]["spec"].(map[string]any))
}

// editBlock changes a stored block's spec.
func editBlock(s *apitest.Server, name string, f func(spec map[string]any)) {
	s.Set(func(s *apitest.Server) { editSpec(s, name, f) })
}

// paths lists the requests as "METHOD path".
func paths(seen []apitest.Request) []string {
	var out []string
	for _, r := range seen {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
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
	installLedger(s)
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

const (
	podGET    = "GET /api/v1/namespaces/default/pods/nginx-m-0"
	blockGET  = "GET /apis/ipam.spinneret.dev/v1alpha1/spinneretipblocks/"
	poolGET   = "GET /apis/spiderpool.spidernet.io/v2beta1/spiderippools/"
	endpointW = "PATCH /apis/spiderpool.spidernet.io/v2beta1/namespaces/default/spiderendpoints/nginx-m-0"
)

func TestAddConfirmsInTheLedgerWithOneGETPerFamily(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
	res, err := e.p.Add(ctx(t), args("eth0", ""), e.conf)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.IPs) != 2 || res.IPs[0].Address.String() != "10.244.120.10/16" || res.IPs[1].Address.String() != "fd00::a/64" {
		t.Fatalf("result %+v", res)
	}
	seen := e.s.Seen()
	// dual stack: the pod, the block of each family, the endpoint
	want := []string{podGET, blockGET + blockV4, blockGET + blockV6, endpointW}
	if got := paths(seen); !reflect.DeepEqual(got, want) {
		t.Fatalf("API calls\n%v\nwant\n%v", got, want)
	}
	if seen[3].ContentType != "application/apply-patch+yaml" || !strings.Contains(seen[3].Query, "fieldManager=spinneret-cni") {
		t.Fatalf("apply: %+v", seen[3])
	}
	// the applied object is the shared contract's SpiderEndpoint, which the Java tests read
	fixture, _ := os.ReadFile(contractDir + "spiderendpoint-applied.json")
	var want2, got map[string]any
	_ = json.Unmarshal(fixture, &want2)
	delete(want2, "about")
	_ = json.Unmarshal(seen[3].Body, &got)
	if !reflect.DeepEqual(got, want2) {
		t.Fatalf("applied\n%s\nwant the fixture\n%s", seen[3].Body, fixture)
	}
	// Multus' second interface is served from its own entry; single stack: one ledger GET
	res, err = e.p.Add(ctx(t), args("net1", ""), e.conf)
	if err != nil || len(res.IPs) != 1 || res.IPs[0].Address.String() != "172.18.40.7/24" || len(res.Routes) != 0 {
		t.Fatalf("net1: %+v %v", res, err)
	}
	want = []string{podGET, blockGET + blockM, endpointW}
	if got := paths(e.s.Seen()[4:]); !reflect.DeepEqual(got, want) {
		t.Fatalf("net1 API calls\n%v\nwant\n%v", got, want)
	}
}

// An annotation written before poolUIDs: the pool's UID comes from a GET of the pool.
func TestAddWithALegacyAnnotationReadsThePool(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, contractAnnotation(t), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	want := []string{podGET, poolGET + "nginx-v4-ippool", blockGET + blockV4, poolGET + "v6-pool", blockGET + blockV6, endpointW}
	if got := paths(e.s.Seen()); !reflect.DeepEqual(got, want) {
		t.Fatalf("API calls\n%v\nwant\n%v", got, want)
	}
	// a pool whose ledger has not been moved into blocks yet: try again later
	e.s.Set(func(s *apitest.Server) { delete(s.Blocks, blockV4) })
	e.s.AddPool("nginx-v4-ippool", "uid-v4", true)
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err == nil || err.Code != types.ErrTryAgainLater ||
		!strings.Contains(err.Msg, "the ledger of SpiderIPPool nginx-v4-ippool is not kept in SpinneretIPBlocks yet") {
		t.Fatalf("pool not migrated: %v", err)
	}
}

func TestAddKeepsOtherOwnersAndReplacesAnOlderPod(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
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
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	cur := e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)
	if cur["containerID"] != containerID {
		t.Fatalf("status not written through /status: %v", cur)
	}
	if n := len(e.s.Seen()); n != 5 {
		t.Fatalf("want GET pod, 2 GET block, apply, status apply, got %d calls", n)
	}
}

func TestAddErrors(t *testing.T) {
	good := withUIDs(t, contractAnnotation(t))
	// another pod's annotation under another id: 10.244.120.9 and fd00::9 belong to web1 of default/web-1
	web1 := strings.NewReplacer(`"k2x9a0b1qz3m"`, `"web1"`, "10.244.120.10/16", "10.244.120.9/16", "fd00::a/64", "fd00::9/64").Replace(good)
	madeUp := strings.Replace(good, `"k2x9a0b1qz3m"`, `"madeup1"`, 1)
	cases := []struct {
		name       string
		annotation string
		label      string
		noPod      bool
		ifName     string
		extraArgs  string
		fail       int
		failOnly   string
		deleted    time.Duration
		server     func(s *apitest.Server)
		code       uint
		msg        string
	}{
		{name: "pod not found", noPod: true, code: ErrPodNotFound, msg: "pod default/nginx-m-0 not found"},
		{name: "recreated pod", extraArgs: ";K8S_POD_UID=other", code: ErrUIDMismatch, msg: "but the runtime asked for UID other"},
		{name: "no annotation (yet)", annotation: "", code: types.ErrTryAgainLater, msg: "has no ipam.spidernet.io/reserved-ips annotation yet"},
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
		// the ledger (issue 21): a copy of another pod's annotation, or a made-up one, gets nothing
		{name: "forged copy: same id, another pod", server: func(s *apitest.Server) {
			editSpec(s, blockV4, func(spec map[string]any) {
				spec["holders"].(map[string]any)["k2x9a0b1qz3m"] = "default/nginx-m-original"
			})
		}, code: ErrReservationNotHeld,
			msg: "address 10.244.120.10 (pool nginx-v4-ippool) is not held by pod default/nginx-m-0: the ledger gives it to reservation k2x9a0b1qz3m of pod default/nginx-m-original; the pod carries a copied or forged ipam.spidernet.io/reserved-ips annotation"},
		{name: "forged copy: the IPv6 address belongs to another pod", server: func(s *apitest.Server) {
			editSpec(s, blockV6, func(spec map[string]any) { spec["holders"].(map[string]any)["k2x9a0b1qz3m"] = "shop/nginx-m-0" })
		}, code: ErrReservationNotHeld, msg: "address fd00::a (pool v6-pool) is not held by pod default/nginx-m-0: the ledger gives it to reservation k2x9a0b1qz3m of pod shop/nginx-m-0"},
		{name: "another pod's annotation and id", annotation: web1, label: "web1", code: ErrReservationNotHeld,
			msg: "address 10.244.120.9 (pool nginx-v4-ippool) is not held by pod default/nginx-m-0: the ledger gives it to reservation web1 of pod default/web-1; the pod carries a copied or forged"},
		{name: "made-up id", annotation: madeUp, label: "madeup1", code: ErrReservationNotHeld,
			msg: "the ledger gives it to reservation k2x9a0b1qz3m (pod default/nginx-m-0), not to reservation madeup1; the pod carries a copied or forged"},
		{name: "address held by another id", server: func(s *apitest.Server) {
			editSpec(s, blockV4, func(spec map[string]any) { spec["allocatedIPs"] = "10.244.120.9=web1,.10=web3" })
		}, code: ErrReservationNotHeld, msg: "the ledger gives it to reservation web3 (no pod recorded), not to reservation k2x9a0b1qz3m"},
		{name: "address not allocated", server: func(s *apitest.Server) {
			editSpec(s, blockV4, func(spec map[string]any) { spec["allocatedIPs"] = "10.244.120.9=web1,.11=k2x9a0b1qz3m" })
		}, code: ErrReservationNotHeld, msg: "address 10.244.120.10 (pool nginx-v4-ippool) is not held by pod default/nginx-m-0: the ledger has no entry for it (SpinneretIPBlock uid-v4-0af47800)"},
		{name: "block missing", server: func(s *apitest.Server) { delete(s.Blocks, blockV6) }, code: ErrReservationNotHeld,
			msg: "address fd00::a (pool v6-pool) is not held by pod default/nginx-m-0: the ledger has no entry for it (no SpinneretIPBlock uid-v6-fd000000000000000000000000000000)"},
		{name: "made-up pool UID", annotation: strings.Replace(good, `"uid-v4"`, `"uid-mine"`, 1), code: ErrReservationNotHeld,
			msg: "no SpinneretIPBlock uid-mine-0af47800"},
		{name: "block of another pool", server: func(s *apitest.Server) {
			editSpec(s, blockV4, func(spec map[string]any) { spec["pool"] = "other-pool" })
		}, code: ErrReservationNotHeld, msg: "SpinneretIPBlock uid-v4-0af47800 belongs to pool other-pool (UID uid-v4), not to pool nginx-v4-ippool (UID uid-v4)"},
		{name: "legacy annotation, pool deleted", annotation: contractAnnotation(t), server: func(s *apitest.Server) { delete(s.Pools, "v6-pool") },
			code: ErrReservationNotHeld, msg: "address fd00::a (pool v6-pool) is not held by pod default/nginx-m-0: SpiderIPPool v6-pool does not exist"},
		{name: "legacy annotation, pool re-created", annotation: contractAnnotation(t), server: func(s *apitest.Server) {
			s.Pools["nginx-v4-ippool"]["metadata"].(map[string]any)["uid"] = "uid-new"
		}, code: ErrReservationNotHeld, msg: "no SpinneretIPBlock uid-new-0af47800"},
		{name: "holder not recorded yet", server: func(s *apitest.Server) {
			editSpec(s, blockV4, func(spec map[string]any) { delete(spec["holders"].(map[string]any), "k2x9a0b1qz3m") })
		}, code: types.ErrTryAgainLater, msg: "address 10.244.120.10 (pool nginx-v4-ippool): the ledger gives it to reservation k2x9a0b1qz3m but has not recorded the pod of that reservation yet"},
		{name: "block without holders", server: func(s *apitest.Server) {
			editSpec(s, blockV6, func(spec map[string]any) { delete(spec, "holders") })
		}, code: types.ErrTryAgainLater, msg: "has not recorded the pod of that reservation yet"},
		{name: "damaged ledger", server: func(s *apitest.Server) {
			editSpec(s, blockV4, func(spec map[string]any) { spec["allocatedIPs"] = "10.244.120.10=k2x9a0b1qz3m,.9=web1" })
		}, code: ErrReservationNotHeld, msg: "address 10.244.120.10 (pool nginx-v4-ippool) cannot be confirmed: spec.allocatedIPs of SpinneretIPBlock uid-v4-0af47800 is unreadable: invalid allocation ledger: entry 1"},
		{name: "block read forbidden", fail: 403, failOnly: "spinneretipblocks", code: ErrAPI, msg: "reading SpinneretIPBlock uid-v4-0af47800: HTTP 403"},
		{name: "block read throttled", fail: 429, failOnly: "spinneretipblocks", code: types.ErrTryAgainLater, msg: "reading SpinneretIPBlock uid-v4-0af47800: HTTP 429"},
		{name: "pool read forbidden", annotation: contractAnnotation(t), fail: 403, failOnly: "spiderippools", code: ErrAPI, msg: "reading SpiderIPPool nginx-v4-ippool: HTTP 403"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, "")
			ann, label := good, "k2x9a0b1qz3m"
			if tc.annotation != "" || tc.name == "no annotation (yet)" {
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
			if tc.server != nil {
				e.s.Set(tc.server)
			}
			e.s.Set(func(s *apitest.Server) { s.Fail, s.FailOnly = tc.fail, tc.failOnly })
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
			// nothing is written for a pod that does not get its address
			for _, r := range e.s.Seen() {
				if r.Method != "GET" {
					t.Fatalf("%s %s on error", r.Method, r.Path)
				}
			}
			if ep := e.s.Endpoint("default", "nginx-m-0"); ep != nil {
				t.Fatalf("endpoint written on error: %v", ep)
			}
			// CHECK refuses the same
			if c := e.p.Check(ctx(t), a, e.conf); c == nil || c.Code != tc.code || c.Msg != err.Msg {
				t.Fatalf("CHECK: %v, ADD: %v", c, err)
			}
		})
	}
}

func TestAddConnectionErrors(t *testing.T) {
	e := setup(t, "")
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
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
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
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
	// each CHECK reads the pod and the block of each family, and writes nothing
	seen := paths(e.s.Seen())
	if len(seen) != 15 || seen[0] != podGET || seen[1] != blockGET+blockV4 || seen[2] != blockGET+blockV6 {
		t.Fatalf("CHECK must read the pod and the ledger: %v", seen)
	}
	for _, r := range e.s.Seen() {
		if r.Method != "GET" {
			t.Fatalf("CHECK wrote: %s %s", r.Method, r.Path)
		}
	}
	// a ledger that gives the address to another pod fails CHECK as it fails ADD
	editBlock(e.s, blockV4, func(spec map[string]any) { spec["holders"].(map[string]any)["k2x9a0b1qz3m"] = "default/other" })
	if err := e.p.Check(ctx(t), args("eth0", ""), e.conf); err == nil || err.Code != ErrReservationNotHeld ||
		!strings.Contains(err.Msg, "the ledger gives it to reservation k2x9a0b1qz3m of pod default/other") {
		t.Fatalf("CHECK of a forged annotation: %v", err)
	}
}

// logTo makes the plugin log into a fresh file and returns a function reading what was logged since the last read.
func logTo(t *testing.T, p *Plugin) func() string {
	path := t.TempDir() + "/cni.log"
	p.Log = cnilog.Open(path, config.Debug, 0)
	t.Cleanup(p.Log.Close)
	read := 0
	return func() string {
		b, _ := os.ReadFile(path)
		out := string(b[read:])
		read = len(b)
		return out
	}
}

// since is what the plugin asked the server after the first n requests, as "METHOD path".
func since(s *apitest.Server, n int) []string {
	return paths(s.Seen()[n:])
}

func TestDel(t *testing.T) {
	e := setup(t, "")
	logged := logTo(t, e.p)
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	cid := func() any {
		return e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)["containerID"]
	}
	const endpointGET = "GET /apis/spiderpool.spidernet.io/v2beta1/namespaces/default/spiderendpoints/nginx-m-0"
	// each step: what DEL asked the server and what it logged
	step := func(name string, a *skel.CmdArgs, conf *config.Conf, calls []string, log string) {
		t.Helper()
		n := len(e.s.Seen())
		logged()
		e.p.Del(ctx(t), a, conf)
		if got := since(e.s, n); !reflect.DeepEqual(got, calls) {
			t.Fatalf("%s: API calls\n%v\nwant\n%v", name, got, calls)
		}
		if l := logged(); !strings.Contains(l, log) {
			t.Fatalf("%s: log\n%s\nwant a line containing %q", name, l, log)
		}
	}
	// another sandbox's DEL leaves the endpoint alone
	other := args("eth0", "")
	other.ContainerID = "other"
	step("another container", other, e.conf, []string{endpointGET}, "endpoint containerID is '"+containerID+"', not ours; leaving it")
	if cid() != containerID {
		t.Fatal("DEL of another container changed the endpoint")
	}
	// conflicts are re-read and retried
	e.s.Set(func(s *apitest.Server) { s.ConflictsLeft = 2 })
	step("two conflicts", args("eth0", ""), e.conf, []string{endpointGET, endpointW, endpointGET, endpointW, endpointGET, endpointW},
		"DEL: cleared containerID on endpoint default/nginx-m-0")
	if cid() != "" {
		t.Fatalf("containerID not cleared: %v", cid())
	}
	cur := e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)
	if cur["reservationID"] != "k2x9a0b1qz3m" || len(cur["ips"].([]any)) != 2 {
		t.Fatalf("DEL released or changed more than containerID: %v", cur)
	}
	// idempotent: the cleared endpoint is read and left alone
	step("again", args("eth0", ""), e.conf, []string{endpointGET}, "endpoint containerID is '', not ours; leaving it")
	// tolerant of everything being gone or broken, and each gives up at once (one read, no write)
	e.s.Set(func(s *apitest.Server) { s.Endpoints = map[string]map[string]any{} })
	step("no endpoint", args("eth0", ""), e.conf, []string{endpointGET}, "DEL: no SpiderEndpoint default/nginx-m-0; nothing to do")
	e.s.Set(func(s *apitest.Server) { s.Fail = 500 })
	step("server error", args("eth0", ""), e.conf, []string{endpointGET},
		"DEL: reading SpiderEndpoint default/nginx-m-0: HTTP 500 Internal Server Error: GET")
	noArgs := args("eth0", "")
	noArgs.Args = ""
	step("no pod in CNI_ARGS", noArgs, e.conf, nil, "nothing to do")
	conf := *e.conf
	conf.Kubeconfig = "/nonexistent"
	step("no kubeconfig", args("eth0", ""), &conf, nil, "DEL: kubeconfig /nonexistent does not exist; is the spinneret-cni installer DaemonSet running on this node? (ignored)")
}

// The read succeeds and the write after it fails: DEL gives up without retrying (only 409 is retried) and the
// endpoint keeps the container ID; the next DEL clears it.
func TestDelWhenTheWriteAfterASuccessfulReadFails(t *testing.T) {
	e := setup(t, "")
	logged := logTo(t, e.p)
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	n := len(e.s.Seen())
	e.s.FailNext("PATCH", "/spiderendpoints/nginx-m-0", 500)
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	got := since(e.s, n)
	if len(got) != 2 || !strings.HasPrefix(got[0], "GET ") || got[1] != endpointW {
		t.Fatalf("API calls %v, want the read and the failed write", got)
	}
	if l := logged(); !strings.Contains(l, "clearing containerID on SpiderEndpoint default/nginx-m-0: HTTP 500") {
		t.Fatalf("log %s", l)
	}
	cur := e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)
	if cur["containerID"] != containerID {
		t.Fatalf("containerID %v after a failed write", cur["containerID"])
	}
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	cur = e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)
	if cur["containerID"] != "" {
		t.Fatalf("the next DEL did not clear containerID: %v", cur["containerID"])
	}
}

// ADD's reads (pod, ledger) succeed and the endpoint write fails: the runtime is told to retry (or, for a refusal
// no retry fixes, an API error), and no result is returned.
func TestAddWhenTheEndpointWriteAfterSuccessfulReadsFails(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   uint
	}{{500, types.ErrTryAgainLater}, {409, types.ErrTryAgainLater}, {403, ErrAPI}, {422, ErrAPI}} {
		e := setup(t, "")
		e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
		e.s.FailNext("PATCH", "/spiderendpoints/", tc.status)
		res, err := e.p.Add(ctx(t), args("eth0", ""), e.conf)
		want := fmt.Sprintf("confirming SpiderEndpoint default/nginx-m-0: HTTP %d", tc.status)
		if res != nil || err == nil || err.Code != tc.code || !strings.Contains(err.Msg, want) {
			t.Fatalf("%d: result %v, error %v; want code %d %q", tc.status, res, err, tc.code, want)
		}
		if got := paths(e.s.Seen()); !reflect.DeepEqual(got, []string{podGET, blockGET + blockV4, blockGET + blockV6, endpointW}) {
			t.Fatalf("%d: API calls %v", tc.status, got)
		}
		// the failure was that one call: the runtime's retry succeeds
		if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
			t.Fatalf("%d: retry: %v", tc.status, err)
		}
	}
}

func TestDelWithAnOldCRDThatHasAStatusSubresource(t *testing.T) {
	e := setup(t, "")
	e.s.Set(func(s *apitest.Server) { s.StatusSubresource = true })
	e.addPod(t, withUIDs(t, contractAnnotation(t)), "k2x9a0b1qz3m")
	if _, err := e.p.Add(ctx(t), args("eth0", ""), e.conf); err != nil {
		t.Fatal(err)
	}
	e.p.Del(ctx(t), args("eth0", ""), e.conf)
	if c := e.s.Endpoint("default", "nginx-m-0")["status"].(map[string]any)["current"].(map[string]any)["containerID"]; c != "" {
		t.Fatalf("containerID %v", c)
	}
}
