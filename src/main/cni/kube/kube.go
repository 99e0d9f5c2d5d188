// Package kube is the plugin's access to the Kubernetes API: the kubeconfig through client-go's clientcmd, the
// HTTP client (TLS, client certificates, bearer token or tokenFile, tls-server-name) from client-go's rest
// package, and small structs for the objects the plugin touches (pods, SpiderEndpoints; SpinneretIPBlocks and
// SpiderIPPools, read only, to confirm a reservation in the ledger). No typed clientset: its scheme
// registration would cost every exec milliseconds of CPU.
package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Group and version of Spiderpool's API.
const GroupVersion = "spiderpool.spidernet.io/v2beta1"

// BlockGroupVersion is the group and version of SpinneretIPBlock (the service's ledger blocks, cluster-scoped).
const BlockGroupVersion = "ipam.spinneret.dev/v1alpha1"

// FieldManager is the server-side apply field manager of the plugin's SpiderEndpoint writes.
const FieldManager = "spinneret-cni"

// ConfigError is a kubeconfig that cannot be used. Missing is true when the file (or its tokenFile) does not
// exist yet, which the installer DaemonSet fixes: the caller answers "try again later".
type ConfigError struct {
	Msg     string
	Missing bool
}

func (e *ConfigError) Error() string { return e.Msg }

// APIError is a non-2xx answer of the API server.
type APIError struct {
	Status  int
	Reason  string
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Reason != "" {
		s += " " + e.Reason
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Retryable reports whether retrying later may help (429, 5xx, 409).
func (e *APIError) Retryable() bool {
	return e.Status == 429 || e.Status >= 500 || e.Status == 409
}

// Client talks to one API server.
type Client struct {
	http *http.Client
	base *url.URL
	// Insecure is set when the kubeconfig disables server certificate checks.
	Insecure bool
}

// Load reads a kubeconfig (current-context, relative paths against the file's directory) and builds the client.
// exec and auth-provider users are refused: a CNI plugin must not run credential helpers on the pod start path.
func Load(path string) (*Client, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &ConfigError{Msg: "kubeconfig " + path + " does not exist", Missing: true}
	}
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, &ConfigError{Msg: "cannot parse kubeconfig " + path + ": " + err.Error()}
	}
	if err := clientcmd.ResolveLocalPaths(raw); err != nil {
		return nil, &ConfigError{Msg: "kubeconfig " + path + ": " + err.Error()}
	}
	ctxName := raw.CurrentContext
	if ctxName == "" && len(raw.Contexts) == 1 {
		for name := range raw.Contexts {
			ctxName = name
		}
	}
	if ctxName == "" {
		return nil, &ConfigError{Msg: "kubeconfig " + path + " has no current-context"}
	}
	ctx, ok := raw.Contexts[ctxName]
	if !ok {
		return nil, &ConfigError{Msg: "kubeconfig " + path + ": no context named '" + ctxName + "'"}
	}
	if user, ok := raw.AuthInfos[ctx.AuthInfo]; ok {
		if user.Exec != nil || user.AuthProvider != nil {
			return nil, &ConfigError{Msg: "user '" + ctx.AuthInfo + "' in " + path +
				" uses exec/auth-provider credentials, which the CNI plugin does not support; use a token, tokenFile or client certificate"}
		}
		// the installer writes the token file after the kubeconfig: not there yet means "try again later"
		if user.TokenFile != "" {
			if _, err := os.ReadFile(user.TokenFile); err != nil {
				return nil, &ConfigError{Msg: "cannot read tokenFile " + user.TokenFile + ": " + err.Error(), Missing: true}
			}
		}
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{CurrentContext: ctxName}).ClientConfig()
	if err != nil {
		return nil, &ConfigError{Msg: "kubeconfig " + path + ": " + err.Error()}
	}
	return New(cfg)
}

// New builds a client from a rest.Config.
func New(cfg *rest.Config) (*Client, error) {
	cfg.UserAgent = "spinneret-cni"
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, &ConfigError{Msg: "kubeconfig server: " + err.Error()}
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, &ConfigError{Msg: "kubeconfig: " + err.Error()}
	}
	return &Client{http: hc, base: base, Insecure: cfg.Insecure}, nil
}

// do sends one request; out (if not nil) receives the decoded 2xx body. A 404 returns found=false.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, contentType string, body any, out any) (found bool, err error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return false, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return false, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return false, nil
	}
	if resp.StatusCode/100 != 2 {
		var st struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &st) != nil || st.Message == "" {
			st.Message = string(data)
			if len(st.Message) > 300 {
				st.Message = st.Message[:300]
			}
		}
		return true, &APIError{Status: resp.StatusCode, Reason: st.Reason, Message: method + " " + path + ": " + st.Message}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return true, fmt.Errorf("%s %s: cannot decode response: %w", method, path, err)
		}
	}
	return true, nil
}

// ObjectMeta is the part of metadata the plugin reads.
type ObjectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace,omitempty"`
	UID               string            `json:"uid,omitempty"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	DeletionTimestamp *time.Time        `json:"deletionTimestamp,omitempty"`
	OwnerReferences   []OwnerReference  `json:"ownerReferences,omitempty"`
}

// OwnerReference as in metav1.
type OwnerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
}

// Pod is what the plugin reads of a pod.
type Pod struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		NodeName string `json:"nodeName,omitempty"`
	} `json:"spec"`
}

// Current is SpiderEndpoint status.current: the shape `kubectl get se` columns and the service read.
type Current struct {
	UID           string            `json:"uid"`
	Node          string            `json:"node"`
	ContainerID   string            `json:"containerID"`
	ReservationID string            `json:"reservationID"`
	IPs           []json.RawMessage `json:"ips"`
}

// Endpoint is a SpiderEndpoint as the plugin writes and reads it.
type Endpoint struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Status     struct {
		Current *Current `json:"current,omitempty"`
	} `json:"status"`
}

// Block is a SpinneretIPBlock: the allocations of 256 addresses of one pool, and who they were made for.
type Block struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		Pool      string `json:"pool"`
		PoolUID   string `json:"poolUID"`
		IPVersion int    `json:"ipVersion"`
		FirstIP   string `json:"firstIP"`
		// AllocatedIPs is the ledger encoding (package ledger) of this block's addresses.
		AllocatedIPs string `json:"allocatedIPs"`
		// Holders maps a reservation id to "<namespace>/<pod name>" of the pod it was made for.
		Holders map[string]string `json:"holders"`
	} `json:"spec"`
}

// Pool is what the plugin reads of a SpiderIPPool: its UID, and status.allocatedIPs, which is ledger.Marker once
// the pool's ledger lives in SpinneretIPBlocks.
type Pool struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		// NodeName and NodeAffinity restrict the nodes the pool's addresses work on (nodeName wins when set).
		NodeName     []string       `json:"nodeName,omitempty"`
		NodeAffinity *LabelSelector `json:"nodeAffinity,omitempty"`
	} `json:"spec"`
	Status struct {
		AllocatedIPs string `json:"allocatedIPs"`
	} `json:"status"`
}

// LabelSelector is a Kubernetes label selector: matchLabels and matchExpressions, all ANDed.
type LabelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels,omitempty"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values,omitempty"`
	} `json:"matchExpressions,omitempty"`
}

// Matches reports whether labels satisfy the selector; an operator other than In, NotIn, Exists and DoesNotExist
// is an error (the caller refuses rather than guess).
func (s *LabelSelector) Matches(labels map[string]string) (bool, error) {
	for k, v := range s.MatchLabels {
		if have, ok := labels[k]; !ok || have != v {
			return false, nil
		}
	}
	for _, e := range s.MatchExpressions {
		have, ok := labels[e.Key]
		in := false
		for _, v := range e.Values {
			in = in || (ok && have == v)
		}
		var m bool
		switch e.Operator {
		case "In":
			m = in
		case "NotIn":
			m = !in
		case "Exists":
			m = ok
		case "DoesNotExist":
			m = !ok
		default:
			return false, fmt.Errorf("unknown label selector operator %q", e.Operator)
		}
		if !m {
			return false, nil
		}
	}
	return true, nil
}

// Node is the part of a Node the plugin reads: its labels (a pool's nodeAffinity is matched against them).
type Node struct {
	Metadata ObjectMeta `json:"metadata"`
}

// get reads one object at path; nil when it does not exist.
func get[T any](ctx context.Context, c *Client, path string) (*T, error) {
	var out T
	found, err := c.do(ctx, http.MethodGet, path, nil, "", nil, &out)
	if err != nil || !found {
		return nil, err
	}
	return &out, nil
}

// BlockPath is the SpinneretIPBlock's URL path.
func BlockPath(name string) string {
	return "/apis/" + BlockGroupVersion + "/spinneretipblocks/" + name
}

// PoolPath is the SpiderIPPool's URL path.
func PoolPath(name string) string { return "/apis/" + GroupVersion + "/spiderippools/" + name }

// GetBlock reads a SpinneretIPBlock; nil when it does not exist.
func (c *Client) GetBlock(ctx context.Context, name string) (*Block, error) {
	return get[Block](ctx, c, BlockPath(name))
}

// GetPool reads a SpiderIPPool; nil when it does not exist.
func (c *Client) GetPool(ctx context.Context, name string) (*Pool, error) {
	return get[Pool](ctx, c, PoolPath(name))
}

// GetNode reads a Node; nil when it does not exist.
func (c *Client) GetNode(ctx context.Context, name string) (*Node, error) {
	return get[Node](ctx, c, "/api/v1/nodes/"+name)
}

func podPath(ns, name string) string { return "/api/v1/namespaces/" + ns + "/pods/" + name }

// EndpointPath is the SpiderEndpoint's URL path.
func EndpointPath(ns, name string) string {
	return "/apis/" + GroupVersion + "/namespaces/" + ns + "/spiderendpoints/" + name
}

// GetPod reads a pod; nil when it does not exist.
func (c *Client) GetPod(ctx context.Context, ns, name string) (*Pod, error) {
	return get[Pod](ctx, c, podPath(ns, name))
}

// GetEndpoint reads a SpiderEndpoint; nil when it does not exist.
func (c *Client) GetEndpoint(ctx context.Context, ns, name string) (*Endpoint, error) {
	return get[Endpoint](ctx, c, EndpointPath(ns, name))
}

// ApplyEndpoint server-side applies the endpoint (creating it if absent) as field manager spinneret-cni, forcing
// ownership of the fields it sets; subresource "status" applies to the status subresource instead (for a CRD
// installed before the status subresource was dropped). Returns the object as stored; nil if it does not exist
// (only possible for the subresource).
func (c *Client) ApplyEndpoint(ctx context.Context, e *Endpoint, subresource string) (*Endpoint, error) {
	path := EndpointPath(e.Metadata.Namespace, e.Metadata.Name)
	if subresource != "" {
		path += "/" + subresource
	}
	q := url.Values{"fieldManager": {FieldManager}, "force": {"true"}}
	var out Endpoint
	found, err := c.do(ctx, http.MethodPatch, path, q, "application/apply-patch+yaml", e, &out)
	if err != nil || !found {
		return nil, err
	}
	return &out, nil
}

// MergePatchEndpoint sends a JSON merge patch (RFC 7386) to the endpoint or its subresource; nil if it is gone.
func (c *Client) MergePatchEndpoint(ctx context.Context, ns, name, subresource string, patch any) (*Endpoint, error) {
	path := EndpointPath(ns, name)
	if subresource != "" {
		path += "/" + subresource
	}
	var out Endpoint
	found, err := c.do(ctx, http.MethodPatch, path, nil, "application/merge-patch+json", patch, &out)
	if err != nil || !found {
		return nil, err
	}
	return &out, nil
}
