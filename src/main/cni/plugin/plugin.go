// Package plugin carries out the IPAM commands. ADD reads the reservation that the admission webhook wrote on the
// pod, confirms every address of the interface in the pool's ledger (the SpinneretIPBlock holding it must give it to
// the annotation's reservation id, recorded for this pod), records it on the SpiderEndpoint and returns it: one GET
// of the pod, one GET of a block per address family (plus a GET of the pool for an annotation written before pool
// UIDs were recorded in it) and one server-side apply of the endpoint. It never allocates and never writes a ledger.
// DEL releases nothing. Only the Kubernetes API server is contacted, never the Spinneret service.
package plugin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"

	"spinneret.dev/cni/cnilog"
	"spinneret.dev/cni/config"
	"spinneret.dev/cni/kube"
	"spinneret.dev/cni/ledger"
	"spinneret.dev/cni/reservation"
	"spinneret.dev/cni/result"
)

// Spinneret's CNI error codes (docs/cni.md).
const (
	ErrNoReservation      = 101
	ErrUIDMismatch        = 102
	ErrReservationNotHeld = 103
	ErrPodNotFound        = 104
	ErrAPI                = 105
	ErrBadReservation     = reservation.ErrBadReservation
	ErrCheckMismatch      = 107
)

// Store is the cluster as the commands see it: the pod, its SpiderEndpoint (read and written) and the ledger
// (blocks, and a pool for an annotation without pool UIDs). *kube.Client, on the API server, is the one the plugin
// runs with; tests may put an in-memory one behind Plugin.Open. Nil results mean "does not exist".
type Store interface {
	GetPod(ctx context.Context, ns, name string) (*kube.Pod, error)
	GetEndpoint(ctx context.Context, ns, name string) (*kube.Endpoint, error)
	// ApplyEndpoint server-side applies e (to subresource, if not ""), returning the stored object.
	ApplyEndpoint(ctx context.Context, e *kube.Endpoint, subresource string) (*kube.Endpoint, error)
	// MergePatchEndpoint sends a JSON merge patch (with a resourceVersion precondition when patch carries one).
	MergePatchEndpoint(ctx context.Context, ns, name, subresource string, patch any) (*kube.Endpoint, error)
	GetBlock(ctx context.Context, name string) (*kube.Block, error)
	GetPool(ctx context.Context, name string) (*kube.Pool, error)
}

// Plugin holds what one call needs besides its arguments.
type Plugin struct {
	Log *cnilog.Logger
	// Getenv reads the process environment (NODE_NAME).
	Getenv func(string) string
	// Now is the clock (tests move it).
	Now func() time.Time
	// Open gives the store of a call; nil: the API server named by the configuration's kubeconfig.
	Open func(conf *config.Conf) (Store, *types.Error)
}

func (p *Plugin) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Deadline is the end of the call's time budget (timeout_seconds from the start of the process).
func Deadline(start time.Time, conf *config.Conf) time.Time {
	return start.Add(time.Duration(conf.TimeoutSeconds * float64(time.Second)))
}

func (p *Plugin) open(conf *config.Conf) (Store, *types.Error) {
	if p.Open != nil {
		return p.Open(conf)
	}
	c, err := kube.Load(conf.Kubeconfig)
	if err != nil {
		var ce *kube.ConfigError
		if errors.As(err, &ce) && ce.Missing {
			return nil, types.NewError(types.ErrTryAgainLater, ce.Msg, "is the spinneret-cni installer DaemonSet running on this node?")
		}
		return nil, types.NewError(types.ErrInvalidNetworkConfig, err.Error(), "ipam.kubeconfig="+conf.Kubeconfig)
	}
	if c.Insecure {
		p.Log.Warnf("kubeconfig %s disables TLS verification (insecure-skip-tls-verify)", conf.Kubeconfig)
	}
	return c, nil
}

// APIError maps a failed API call to a CNI error: 11 for what a retry may fix, 105 for what it will not.
func APIError(err error, doing string) *types.Error {
	var ae *kube.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Retryable():
			return types.NewError(types.ErrTryAgainLater, doing+": "+ae.Error(), "")
		case ae.Status == 401 || ae.Status == 403:
			return types.NewError(ErrAPI, doing+": "+ae.Error(), "check the spinneret-cni ServiceAccount token and its ClusterRole")
		}
		return types.NewError(ErrAPI, doing+": "+ae.Error(), "")
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		return types.NewError(ErrAPI, doing+": TLS verification of the API server failed: "+err.Error(), "check certificate-authority and tls-server-name in the kubeconfig")
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return types.NewError(types.ErrTryAgainLater, doing+": API server timed out: "+err.Error(), "")
	}
	return types.NewError(types.ErrTryAgainLater, doing+": API server unreachable: "+err.Error(), "")
}

// held is what ADD and CHECK share: the live pod, its reservation and the entry for the interface.
type held struct {
	pod *kube.Pod
	res *reservation.Reservation
	nic *reservation.Interface
}

// read does the one GET of the pod and every check that needs no further call.
func (p *Plugin) read(ctx context.Context, c Store, pod config.Pod, ifName string) (*held, *types.Error) {
	who := pod.Namespace + "/" + pod.Name
	obj, err := c.GetPod(ctx, pod.Namespace, pod.Name)
	if err != nil {
		return nil, APIError(err, "reading pod "+who)
	}
	if obj == nil {
		return nil, types.NewError(ErrPodNotFound, "pod "+who+" not found", "")
	}
	if pod.UID != "" && pod.UID != obj.Metadata.UID {
		return nil, types.NewError(ErrUIDMismatch, "pod "+who+" has UID "+obj.Metadata.UID+", but the runtime asked for UID "+pod.UID,
			"the pod was deleted and recreated; the runtime will retry for the new pod")
	}
	value := strings.TrimSpace(obj.Metadata.Annotations[reservation.Annotation])
	if value == "" {
		// the webhook did not see the pod (an excluded namespace such as kube-system, or every replica down):
		// the service reserves for it after creation and writes the annotation; the kubelet retries the sandbox
		return nil, types.NewError(types.ErrTryAgainLater, "pod "+who+" has no "+reservation.Annotation+" annotation yet",
			"Spinneret reserves for pods its webhook did not see shortly after they are created; kubectl describe pod shows its Events (IPReserved, IPReservationFailed)")
	}
	res, e := reservation.Parse(value)
	if e != nil {
		return nil, e
	}
	// The service's garbage collector counts a pod as holding reservation <id> by this label (and releases a
	// reservation no live pod holds); without it the addresses could go to another pod.
	if label := obj.Metadata.Labels[reservation.Label]; label != res.ID {
		return nil, types.NewError(ErrReservationNotHeld, fmt.Sprintf("pod %s has label %s=%q, not its reservation id %s: the garbage collector does not count it as holding the reservation",
			who, reservation.Label, label, res.ID), "delete the pod to get a new reservation")
	}
	if ts := obj.Metadata.DeletionTimestamp; ts != nil && ts.Before(p.now()) {
		return nil, types.NewError(ErrReservationNotHeld, "pod "+who+" is terminating past its grace period; its reservation may already be released", "")
	}
	nic := res.For(ifName)
	if nic == nil {
		return nil, types.NewError(ErrNoReservation, "reservation "+res.ID+" of pod "+who+" has no entry for interface "+ifName,
			fmt.Sprintf("reserved interfaces: %v", res.Names()))
	}
	if nic.IPv4 == "" && nic.IPv6 == "" {
		return nil, types.NewError(ErrNoReservation, "reservation "+res.ID+" reserves no address for interface "+ifName, "")
	}
	return &held{pod: obj, res: res, nic: nic}, nil
}

// forged is error 103 for an address the ledger does not give to this pod's reservation.
func forged(who string, a netip.Addr, pool, ledgerSays string) *types.Error {
	return types.NewError(ErrReservationNotHeld, fmt.Sprintf("address %s (pool %s) is not held by pod %s: %s; the pod carries a copied or forged %s annotation",
		a, pool, who, ledgerSays, reservation.Annotation),
		"only the addresses the Spinneret webhook reserved for this pod are handed out; delete the pod to get its own reservation")
}

// holderOf describes what the ledger records for reservation id.
func holderOf(b *kube.Block, id string) string {
	if h := b.Spec.Holders[id]; h != "" {
		return "pod " + h
	}
	return "no pod recorded"
}

// verify confirms each address of the interface in its pool's ledger: the SpinneretIPBlock holding it (named by
// the pool's UID, from the annotation's poolUIDs or, for an older annotation, a GET of the pool) must exist, belong
// to the pool, give the address to the annotation's id, and record that id for this pod. It returns the number of
// API reads. It writes nothing.
func (p *Plugin) verify(ctx context.Context, c Store, pod config.Pod, h *held) (int, *types.Error) {
	who := pod.Namespace + "/" + pod.Name
	id := h.res.ID
	gets := 0
	for _, f := range []struct{ cidr, pool string }{{h.nic.IPv4, h.nic.IPv4Pool}, {h.nic.IPv6, h.nic.IPv6Pool}} {
		if f.cidr == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(f.cidr)
		if err != nil { // reservation.Parse checked it
			return gets, types.NewError(ErrBadReservation, "reservation annotation "+reservation.Annotation+": '"+f.cidr+"' is not an address in CIDR notation", "")
		}
		a, pool := pfx.Addr(), f.pool
		uid, known := h.res.PoolUIDs[pool]
		var legacy *kube.Pool
		if !known {
			// an annotation written before poolUIDs: the pool's UID from the pool itself
			gets++
			if legacy, err = c.GetPool(ctx, pool); err != nil {
				return gets, APIError(err, "reading SpiderIPPool "+pool)
			}
			if legacy == nil {
				return gets, forged(who, a, pool, "SpiderIPPool "+pool+" does not exist")
			}
			uid = legacy.Metadata.UID
		}
		name := ledger.BlockName(uid, a)
		gets++
		b, err := c.GetBlock(ctx, name)
		if err != nil {
			return gets, APIError(err, "reading SpinneretIPBlock "+name)
		}
		if b == nil {
			if legacy != nil && legacy.Status.AllocatedIPs != ledger.Marker {
				return gets, types.NewError(types.ErrTryAgainLater, fmt.Sprintf("address %s: the ledger of SpiderIPPool %s is not kept in SpinneretIPBlocks yet, so the reservation cannot be confirmed",
					a, pool), "the Spinneret service moves the ledger into blocks; try again later")
			}
			return gets, forged(who, a, pool, "the ledger has no entry for it (no SpinneretIPBlock "+name+")")
		}
		if b.Spec.Pool != pool || b.Spec.PoolUID != uid {
			return gets, forged(who, a, pool, fmt.Sprintf("SpinneretIPBlock %s belongs to pool %s (UID %s), not to pool %s (UID %s)",
				name, b.Spec.Pool, b.Spec.PoolUID, pool, uid))
		}
		holder, found, err := ledger.Holder(b.Spec.AllocatedIPs, a)
		if err != nil {
			return gets, types.NewError(ErrReservationNotHeld, fmt.Sprintf("address %s (pool %s) cannot be confirmed: spec.allocatedIPs of SpinneretIPBlock %s is unreadable: %v",
				a, pool, name, err), "the ledger is damaged; see the Spinneret service's log")
		}
		switch {
		case !found:
			return gets, forged(who, a, pool, "the ledger has no entry for it (SpinneretIPBlock "+name+")")
		case holder != id:
			return gets, forged(who, a, pool, fmt.Sprintf("the ledger gives it to reservation %s (%s), not to reservation %s", holder, holderOf(b, holder), id))
		}
		switch rec := b.Spec.Holders[id]; rec {
		case "":
			return gets, types.NewError(types.ErrTryAgainLater, fmt.Sprintf("address %s (pool %s): the ledger gives it to reservation %s but has not recorded the pod of that reservation yet (SpinneretIPBlock %s)",
				a, pool, id, name), "the binding is not recorded yet: the Spinneret service records it shortly; try again later")
		case who:
		default:
			return gets, forged(who, a, pool, fmt.Sprintf("the ledger gives it to reservation %s of pod %s", id, rec))
		}
	}
	return gets, nil
}

func describe(n *reservation.Interface) string {
	var parts []string
	if n.IPv4 != "" {
		parts = append(parts, n.IPv4+" ("+n.IPv4Pool+")")
	}
	if n.IPv6 != "" {
		parts = append(parts, n.IPv6+" ("+n.IPv6Pool+")")
	}
	return strings.Join(parts, " ")
}

// Add confirms the reservation and returns the result for args.IfName.
func (p *Plugin) Add(ctx context.Context, args *skel.CmdArgs, conf *config.Conf) (*types100.Result, *types.Error) {
	pod, e := config.PodFromArgs(args.Args)
	if e != nil {
		return nil, e
	}
	t0 := time.Now()
	c, e := p.open(conf)
	if e != nil {
		return nil, e
	}
	t1 := time.Now()
	h, e := p.read(ctx, c, pod, args.IfName)
	if e != nil {
		return nil, e
	}
	t2 := time.Now()
	// nothing is written for an address the ledger does not give to this pod
	gets, e := p.verify(ctx, c, pod, h)
	if e != nil {
		return nil, e
	}
	t3 := time.Now()
	if e := p.confirm(ctx, c, args, pod, h); e != nil {
		return nil, e
	}
	if p.Log.DebugEnabled() {
		p.Log.Debugf("timing ms: client %d, pod (connect+TLS+GET) %d, ledger (%d GET) %d, endpoint apply %d",
			t1.Sub(t0).Milliseconds(), t2.Sub(t1).Milliseconds(), gets, t3.Sub(t2).Milliseconds(), time.Since(t3).Milliseconds())
	}
	p.Log.Infof("ADD ok: reservation %s %s %s", h.res.ID, args.IfName, describe(h.nic))
	return result.Build(h.nic, conf.CleanGateway, conf.DNS), nil
}

func (p *Plugin) nodeName(pod *kube.Pod) string {
	if pod.Spec.NodeName != "" {
		return pod.Spec.NodeName
	}
	if p.Getenv != nil {
		if n := p.Getenv("NODE_NAME"); n != "" {
			return n
		}
	}
	n, _ := os.Hostname()
	return n
}

// confirm records the reservation on the SpiderEndpoint named like the pod with one server-side apply: it
// creates the endpoint if absent; points the Pod owner reference and the reservation label at this pod (an owner
// reference the plugin applied for an older pod of the same name is dropped, other owners such as a StatefulSet
// are kept); and writes status.current.
func (p *Plugin) confirm(ctx context.Context, c Store, args *skel.CmdArgs, pod config.Pod, h *held) *types.Error {
	who := pod.Namespace + "/" + pod.Name
	ep := &kube.Endpoint{APIVersion: kube.GroupVersion, Kind: "SpiderEndpoint"}
	ep.Metadata = kube.ObjectMeta{
		Name: pod.Name, Namespace: pod.Namespace,
		Labels:          map[string]string{reservation.Label: h.res.ID},
		OwnerReferences: []kube.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: h.pod.Metadata.UID}},
	}
	cur := &kube.Current{UID: h.pod.Metadata.UID, Node: p.nodeName(h.pod), ContainerID: args.ContainerID,
		ReservationID: h.res.ID, IPs: h.res.Raw}
	ep.Status.Current = cur
	stored, err := c.ApplyEndpoint(ctx, ep, "")
	if err != nil {
		return APIError(err, "confirming SpiderEndpoint "+who)
	}
	if stored == nil {
		return types.NewError(types.ErrTryAgainLater, "SpiderEndpoint "+who+" vanished while it was written", "")
	}
	if stored.Metadata.DeletionTimestamp != nil {
		return types.NewError(types.ErrTryAgainLater, "SpiderEndpoint "+who+" is being deleted", "retry once it is gone")
	}
	if s := stored.Status.Current; s == nil || s.ReservationID != cur.ReservationID || s.ContainerID != cur.ContainerID {
		// The CRD still has a status subresource (installed by an older release; helm never updates CRDs): the
		// API server dropped status from the apply. Write it through the subresource and say how to fix it.
		p.Log.Warnf("SpiderEndpoint %s: status was not stored by the apply; the installed CRD still has a status subresource (apply crds/ of this release); writing /status", who)
		st := &kube.Endpoint{APIVersion: ep.APIVersion, Kind: ep.Kind, Metadata: kube.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace}}
		st.Status.Current = cur
		if stored, err = c.ApplyEndpoint(ctx, st, "status"); err != nil {
			return APIError(err, "confirming SpiderEndpoint "+who+" status")
		}
		if stored == nil {
			return types.NewError(types.ErrTryAgainLater, "SpiderEndpoint "+who+" vanished while its status was written", "")
		}
	}
	return nil
}

// Check verifies what ADD verifies (the pod and the ledger), and that prevResult (if any) carries exactly the reserved addresses. It writes
// nothing.
func (p *Plugin) Check(ctx context.Context, args *skel.CmdArgs, conf *config.Conf) *types.Error {
	pod, e := config.PodFromArgs(args.Args)
	if e != nil {
		return e
	}
	c, e := p.open(conf)
	if e != nil {
		return e
	}
	h, e := p.read(ctx, c, pod, args.IfName)
	if e != nil {
		return e
	}
	if _, e := p.verify(ctx, c, pod, h); e != nil {
		return e
	}
	if conf.Net.RawPrevResult != nil {
		if err := version.ParsePrevResult(&conf.Net); err != nil {
			return types.NewError(types.ErrDecodingFailure, "cannot decode prevResult: "+err.Error(), "")
		}
		prev, err := types100.NewResultFromResult(conf.Net.PrevResult)
		if err != nil {
			return types.NewError(types.ErrDecodingFailure, "cannot convert prevResult: "+err.Error(), "")
		}
		var have, want []string
		for _, ip := range prev.IPs {
			have = append(have, canonical(ip.Address.String()))
		}
		for _, a := range []string{h.nic.IPv4, h.nic.IPv6} {
			if a != "" {
				want = append(want, canonical(a))
			}
		}
		sort.Strings(have)
		sort.Strings(want)
		if strings.Join(have, ",") != strings.Join(want, ",") {
			return types.NewError(ErrCheckMismatch, fmt.Sprintf("prevResult addresses %v differ from the reservation %v for %s", have, want, args.IfName), "")
		}
	}
	p.Log.Infof("CHECK ok: reservation %s %s", h.res.ID, args.IfName)
	return nil
}

func canonical(cidr string) string {
	if pfx, err := netip.ParsePrefix(cidr); err == nil {
		return pfx.String()
	}
	return cidr
}

// Del clears status.current.containerID on the endpoint if it is this container's. It releases nothing
// (releasing is the service's garbage collector's job) and never fails: every problem is logged.
func (p *Plugin) Del(ctx context.Context, args *skel.CmdArgs, conf *config.Conf) {
	pod, e := config.PodFromArgs(args.Args)
	if e != nil {
		p.Log.Infof("DEL: no (valid) K8S_POD_NAMESPACE/K8S_POD_NAME in CNI_ARGS (%s); nothing to do", e.Msg)
		return
	}
	who := pod.Namespace + "/" + pod.Name
	c, e := p.open(conf)
	if e != nil {
		p.Log.Warnf("DEL: %s (ignored)", e.Error())
		return
	}
	for attempt := 0; attempt < 3; attempt++ {
		ep, err := c.GetEndpoint(ctx, pod.Namespace, pod.Name)
		if err != nil {
			p.Log.Warnf("DEL: %s (ignored)", APIError(err, "reading SpiderEndpoint "+who).Error())
			return
		}
		if ep == nil {
			p.Log.Infof("DEL: no SpiderEndpoint %s; nothing to do", who)
			return
		}
		if ep.Status.Current == nil || ep.Status.Current.ContainerID != args.ContainerID {
			cid := ""
			if ep.Status.Current != nil {
				cid = ep.Status.Current.ContainerID
			}
			p.Log.Infof("DEL: endpoint containerID is '%s', not ours; leaving it", cid)
			return
		}
		patch := map[string]any{
			"metadata": map[string]any{"resourceVersion": ep.Metadata.ResourceVersion},
			"status":   map[string]any{"current": map[string]any{"containerID": ""}},
		}
		stored, err := c.MergePatchEndpoint(ctx, pod.Namespace, pod.Name, "", patch)
		if err == nil && stored != nil && stored.Status.Current != nil && stored.Status.Current.ContainerID == args.ContainerID {
			// a CRD with a status subresource ignores status in the main resource
			patch["metadata"] = map[string]any{"resourceVersion": stored.Metadata.ResourceVersion}
			stored, err = c.MergePatchEndpoint(ctx, pod.Namespace, pod.Name, "status", patch)
		}
		var ae *kube.APIError
		switch {
		case err == nil && stored == nil:
			p.Log.Infof("DEL: SpiderEndpoint %s went away meanwhile; nothing to do", who)
			return
		case err == nil:
			p.Log.Infof("DEL: cleared containerID on endpoint %s (addresses are kept; release is the service's job)", who)
			return
		case errors.As(err, &ae) && ae.Status == 409:
			p.Log.Infof("DEL: endpoint changed meanwhile (409), re-reading")
		default:
			p.Log.Warnf("DEL: %s (ignored)", APIError(err, "clearing containerID on SpiderEndpoint "+who).Error())
			return
		}
	}
	p.Log.Warnf("DEL: gave up clearing containerID after repeated conflicts")
}

// Status (CNI 1.1) reports whether ADD can be served: the kubeconfig and its credentials are in place. It makes
// no API call.
func (p *Plugin) Status(conf *config.Conf) *types.Error {
	if _, e := p.open(conf); e != nil {
		return types.NewError(types.ErrPluginNotAvailable, e.Msg, e.Details)
	}
	return nil
}

// ErrorJSON renders a CNI error with the cniVersion of the request, as the spec's error object.
func ErrorJSON(cniVersion string, e *types.Error) []byte {
	b, _ := json.Marshal(struct {
		CNIVersion string `json:"cniVersion"`
		Code       uint   `json:"code"`
		Msg        string `json:"msg"`
		Details    string `json:"details,omitempty"`
	}{cniVersion, e.Code, e.Msg, e.Details})
	return b
}
