package plugin

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/containernetworking/cni/pkg/types"

	"spinneret.dev/cni/config"
	"spinneret.dev/cni/kube"
	"spinneret.dev/cni/reservation"
)

// memStore is an in-memory Store: objects as the plugin decodes them, every call recorded, and a failure that can
// be put on any one operation (host-local's tests use an in-memory store the same way).
type memStore struct {
	mu        sync.Mutex
	pods      map[string]*kube.Pod
	endpoints map[string]*kube.Endpoint
	blocks    map[string]*kube.Block
	pools     map[string]*kube.Pool
	calls     []string
	// fail maps an operation ("GetPod", "ApplyEndpoint", ...) to the error its calls return.
	fail map[string]error
}

func newMemStore() *memStore {
	return &memStore{pods: map[string]*kube.Pod{}, endpoints: map[string]*kube.Endpoint{}, blocks: map[string]*kube.Block{},
		pools: map[string]*kube.Pool{}, fail: map[string]error{}}
}

func (m *memStore) call(op, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, op+" "+key)
	return m.fail[op]
}

// clone round-trips through JSON, as the API server hands out copies, never the stored object.
func clone[T any](v *T) *T {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	var out T
	_ = json.Unmarshal(b, &out)
	return &out
}

func (m *memStore) GetPod(_ context.Context, ns, name string) (*kube.Pod, error) {
	if err := m.call("GetPod", ns+"/"+name); err != nil {
		return nil, err
	}
	return clone(m.pods[ns+"/"+name]), nil
}

func (m *memStore) GetEndpoint(_ context.Context, ns, name string) (*kube.Endpoint, error) {
	if err := m.call("GetEndpoint", ns+"/"+name); err != nil {
		return nil, err
	}
	return clone(m.endpoints[ns+"/"+name]), nil
}

func (m *memStore) ApplyEndpoint(_ context.Context, e *kube.Endpoint, sub string) (*kube.Endpoint, error) {
	key := e.Metadata.Namespace + "/" + e.Metadata.Name
	if err := m.call("ApplyEndpoint", key); err != nil {
		return nil, err
	}
	m.endpoints[key] = clone(e)
	return clone(e), nil
}

func (m *memStore) MergePatchEndpoint(_ context.Context, ns, name, sub string, patch any) (*kube.Endpoint, error) {
	if err := m.call("MergePatchEndpoint", ns+"/"+name); err != nil {
		return nil, err
	}
	e := m.endpoints[ns+"/"+name]
	if e == nil {
		return nil, nil
	}
	b, _ := json.Marshal(patch)
	if err := json.Unmarshal(b, e); err != nil { // enough of a merge patch for the plugin's status.current.containerID
		return nil, err
	}
	return clone(e), nil
}

func (m *memStore) GetBlock(_ context.Context, name string) (*kube.Block, error) {
	if err := m.call("GetBlock", name); err != nil {
		return nil, err
	}
	return clone(m.blocks[name]), nil
}

func (m *memStore) GetPool(_ context.Context, name string) (*kube.Pool, error) {
	if err := m.call("GetPool", name); err != nil {
		return nil, err
	}
	return clone(m.pools[name]), nil
}

// single is a single-stack pod default/nginx-m-0 with reservation r1: 10.0.7.5 of pool p (UID u), recorded in
// block u-0a000700 for this pod.
func single() *memStore {
	m := newMemStore()
	pod := &kube.Pod{Metadata: kube.ObjectMeta{Name: "nginx-m-0", Namespace: "default", UID: podUID,
		Labels:      map[string]string{reservation.Label: "r1"},
		Annotations: map[string]string{reservation.Annotation: `{"id":"r1","poolUIDs":{"p":"u"},"interfaces":[{"interface":"eth0","ipv4":"10.0.7.5/24","ipv4Pool":"p"}]}`}}}
	m.pods["default/nginx-m-0"] = pod
	b := &kube.Block{}
	b.Spec.Pool, b.Spec.PoolUID, b.Spec.IPVersion, b.Spec.FirstIP = "p", "u", 4, "10.0.7.0"
	b.Spec.AllocatedIPs = "10.0.7.4=r0,.5=r1"
	b.Spec.Holders = map[string]string{"r0": "default/other", "r1": "default/nginx-m-0"}
	m.blocks["u-0a000700"] = b
	return m
}

func withStore(m *memStore) (*Plugin, *config.Conf) {
	conf, _ := config.Parse([]byte(`{"cniVersion":"1.0.0","name":"m","ipam":{"type":"spinneret","kubeconfig":"/unused"}}`))
	return &Plugin{Getenv: func(string) string { return "node-1" },
		Open: func(*config.Conf) (Store, *types.Error) { return m, nil }}, conf
}

func TestAddAgainstAnInMemoryStore(t *testing.T) {
	m := single()
	p, conf := withStore(m)
	res, err := p.Add(context.Background(), args("eth0", ""), conf)
	if err != nil || len(res.IPs) != 1 || res.IPs[0].Address.String() != "10.0.7.5/24" {
		t.Fatalf("ADD: %v %v", res, err)
	}
	want := []string{"GetPod default/nginx-m-0", "GetBlock u-0a000700", "ApplyEndpoint default/nginx-m-0"}
	if !reflect.DeepEqual(m.calls, want) {
		t.Fatalf("calls %v, want %v", m.calls, want)
	}
	if cur := m.endpoints["default/nginx-m-0"].Status.Current; cur.ReservationID != "r1" || cur.ContainerID != containerID || cur.Node != "node-1" {
		t.Fatalf("endpoint %+v", cur)
	}
	// the ledger gives the address to r1 of another pod: refused, nothing written
	m = single()
	m.blocks["u-0a000700"].Spec.Holders["r1"] = "default/nginx-m-9"
	p, conf = withStore(m)
	if _, err := p.Add(context.Background(), args("eth0", ""), conf); err == nil || err.Code != ErrReservationNotHeld ||
		!strings.Contains(err.Msg, "the ledger gives it to reservation r1 of pod default/nginx-m-9") {
		t.Fatalf("forged: %v", err)
	}
	if len(m.endpoints) != 0 {
		t.Fatalf("endpoint written for a refused pod: %v", m.endpoints)
	}
}

// A 409 on every write: DEL re-reads and tries three times, then gives up (never fails), leaving the endpoint.
func TestDelGivesUpAfterThreeConflicts(t *testing.T) {
	m := single()
	p, conf := withStore(m)
	logged := logTo(t, p)
	if _, err := p.Add(context.Background(), args("eth0", ""), conf); err != nil {
		t.Fatal(err)
	}
	m.calls = nil
	m.fail["MergePatchEndpoint"] = &kube.APIError{Status: 409, Reason: "Conflict"}
	p.Del(context.Background(), args("eth0", ""), conf)
	get, patch := "GetEndpoint default/nginx-m-0", "MergePatchEndpoint default/nginx-m-0"
	if want := []string{get, patch, get, patch, get, patch}; !reflect.DeepEqual(m.calls, want) {
		t.Fatalf("calls %v, want %v", m.calls, want)
	}
	if l := logged(); !strings.Contains(l, "DEL: gave up clearing containerID after repeated conflicts") {
		t.Fatalf("log %s", l)
	}
	if cid := m.endpoints["default/nginx-m-0"].Status.Current.ContainerID; cid != containerID {
		t.Fatalf("containerID %q", cid)
	}
}
