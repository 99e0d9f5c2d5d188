// Package config reads what one plugin call is given: the ipam section of the network configuration (stdin) and
// the pod identity in CNI_ARGS. Every problem is a *types.Error with the code docs/cni.md lists.
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
)

// Defaults documented in docs/cni.md.
const (
	DefaultKubeconfig = "/etc/cni/net.d/spinneret.d/spinneret.kubeconfig"
	DefaultLogFile    = "/var/log/spinneret/cni.log"
	DefaultTimeout    = 10.0
	MaxTimeout        = 600.0
	maxStdin          = 4 << 20
)

// Level is a log level, lowest first.
type Level int

// Log levels.
const (
	Debug Level = iota
	Info
	Warn
	Error
)

// String names the level as it appears in the log file.
func (l Level) String() string {
	return [...]string{"DEBUG", "INFO", "WARN", "ERROR"}[l]
}

// ParseLevel accepts debug/info/warn/error in any case, and Spiderpool's aliases (trace, warning, fatal, panic).
func ParseLevel(s string) (Level, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug", "trace":
		return Debug, true
	case "info":
		return Info, true
	case "warn", "warning":
		return Warn, true
	case "error", "fatal", "panic":
		return Error, true
	}
	return Info, false
}

// DNS is the optional result "dns" object.
type DNS struct {
	Nameservers []string `json:"nameservers,omitempty"`
	Domain      string   `json:"domain,omitempty"`
	Search      []string `json:"search,omitempty"`
	Options     []string `json:"options,omitempty"`
}

// Conf is the network configuration, reduced to what this IPAM plugin uses. Unknown ipam keys (Spiderpool's
// default_ipv4_ippool, match_master_subnet, ...) are ignored: pool choice happens at admission.
type Conf struct {
	CNIVersion     string
	Name           string
	IPAMType       string
	Kubeconfig     string
	TimeoutSeconds float64
	LogFile        string
	LogLevel       Level
	LogMaxBytes    int64
	CleanGateway   bool
	DNS            *DNS
	// Net is the whole configuration as the CNI library decodes it (prevResult for CHECK).
	Net types.NetConf
}

func invalid(format string, a ...any) *types.Error {
	return types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf(format, a...), "")
}

// jsonType names the JSON type of a raw value for error messages.
func jsonType(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func str(m map[string]json.RawMessage, key, label, dflt string) (string, *types.Error) {
	raw, ok := m[key]
	if !ok || jsonType(raw) == "null" {
		return dflt, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid("%s must be a string, got %s", label, jsonType(raw))
	}
	return s, nil
}

func strList(m map[string]json.RawMessage, key string) ([]string, *types.Error) {
	raw, ok := m[key]
	if !ok || jsonType(raw) == "null" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, invalid("ipam.dns.%s must be an array of strings, got %s", key, jsonType(raw))
	}
	return l, nil
}

// Parse decodes stdin. The CNI library (skel) has already checked that it is JSON with a supported cniVersion
// and a network name; Parse checks the ipam section.
func Parse(stdin []byte) (*Conf, *types.Error) {
	if len(bytes.TrimSpace(stdin)) == 0 {
		return nil, types.NewError(types.ErrDecodingFailure, "no network configuration on stdin", "")
	}
	if len(stdin) > maxStdin {
		return nil, types.NewError(types.ErrDecodingFailure, "network configuration larger than 4 MiB", "")
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal(stdin, &root); err != nil {
		return nil, types.NewError(types.ErrDecodingFailure, "cannot decode network configuration: "+err.Error(), "")
	}
	c := &Conf{}
	var e *types.Error
	if c.CNIVersion, e = str(root, "cniVersion", "cniVersion", ""); e != nil {
		return nil, e
	}
	if c.CNIVersion == "" {
		return nil, invalid("network configuration has no cniVersion")
	}
	if c.Name, e = str(root, "name", "name", ""); e != nil {
		return nil, e
	}
	rawIPAM, ok := root["ipam"]
	if !ok || jsonType(rawIPAM) == "null" {
		return nil, invalid("network configuration has no \"ipam\" section")
	}
	var ipam map[string]json.RawMessage
	if jsonType(rawIPAM) != "object" || json.Unmarshal(rawIPAM, &ipam) != nil {
		return nil, invalid("\"ipam\" must be an object, got %s", jsonType(rawIPAM))
	}
	if c.IPAMType, e = str(ipam, "type", "ipam.type", ""); e != nil {
		return nil, e
	}
	if c.IPAMType == "" {
		return nil, invalid("ipam.type is missing")
	}
	if c.Kubeconfig, e = str(ipam, "kubeconfig", "ipam.kubeconfig", DefaultKubeconfig); e != nil {
		return nil, e
	}
	if c.Kubeconfig == "" {
		return nil, invalid("ipam.kubeconfig must not be empty")
	}
	c.TimeoutSeconds = DefaultTimeout
	if raw, ok := ipam["timeout_seconds"]; ok && jsonType(raw) != "null" {
		if jsonType(raw) != "number" || json.Unmarshal(raw, &c.TimeoutSeconds) != nil {
			return nil, invalid("ipam.timeout_seconds must be a number, got %s", jsonType(raw))
		}
		if !(c.TimeoutSeconds > 0) || c.TimeoutSeconds > MaxTimeout {
			return nil, invalid("ipam.timeout_seconds must be > 0 and <= 600, got %s", strings.TrimSpace(string(raw)))
		}
	}
	if c.LogFile, e = str(ipam, "log_file_path", "ipam.log_file_path", DefaultLogFile); e != nil {
		return nil, e
	}
	lvl, e := str(ipam, "log_level", "ipam.log_level", "info")
	if e != nil {
		return nil, e
	}
	if c.LogLevel, ok = ParseLevel(lvl); !ok {
		return nil, invalid("ipam.log_level '%s' is not one of debug, info, warn, error", lvl)
	}
	c.LogMaxBytes = 10 << 20
	if raw, ok := ipam["log_file_max_size"]; ok && jsonType(raw) != "null" {
		// Spiderpool documents it as a string ("100"); both forms are accepted
		text := strings.Trim(strings.TrimSpace(string(raw)), `"`)
		mib, err := strconv.ParseInt(text, 10, 64)
		if (jsonType(raw) != "number" && jsonType(raw) != "string") || err != nil || mib <= 0 || mib > 999999 {
			return nil, invalid("ipam.log_file_max_size must be a positive integer (MiB), got %s", strings.TrimSpace(string(raw)))
		}
		c.LogMaxBytes = mib << 20
	}
	if raw, ok := ipam["clean_gateway"]; ok && jsonType(raw) != "null" {
		if json.Unmarshal(raw, &c.CleanGateway) != nil {
			return nil, invalid("ipam.clean_gateway must be a boolean, got %s", jsonType(raw))
		}
	}
	if raw, ok := ipam["dns"]; ok && jsonType(raw) != "null" {
		var dm map[string]json.RawMessage
		if jsonType(raw) != "object" || json.Unmarshal(raw, &dm) != nil {
			return nil, invalid("ipam.dns must be an object, got %s", jsonType(raw))
		}
		d := &DNS{}
		if d.Nameservers, e = strList(dm, "nameservers"); e != nil {
			return nil, e
		}
		if d.Domain, e = str(dm, "domain", "ipam.dns.domain", ""); e != nil {
			return nil, e
		}
		if d.Search, e = strList(dm, "search"); e != nil {
			return nil, e
		}
		if d.Options, e = strList(dm, "options"); e != nil {
			return nil, e
		}
		if len(d.Nameservers)+len(d.Search)+len(d.Options) > 0 || d.Domain != "" {
			c.DNS = d
		}
	}
	// the library's view (prevResult for CHECK); the ipam section is known to be well-formed by now
	if err := json.Unmarshal(stdin, &c.Net); err != nil {
		return nil, types.NewError(types.ErrDecodingFailure, "cannot decode network configuration: "+err.Error(), "")
	}
	return c, nil
}

// Pod is the pod identity the runtime passes in CNI_ARGS.
type Pod struct {
	Namespace, Name, UID string
}

// IsK8sName checks a DNS-1123 subdomain-like name: [a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])? (no regexp: compiling
// one costs a fresh process about a millisecond).
func IsK8sName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		if !alnum && ((c != '-' && c != '.') || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// podArgs are the CNI_ARGS keys the plugin reads.
var podArgs = map[string]bool{"K8S_POD_NAMESPACE": true, "K8S_POD_NAME": true, "K8S_POD_UID": true}

// ParseArgs splits CNI_ARGS ("K=V;K=V"). Empty segments are skipped, unknown keys ignored; a segment without '=',
// an empty key, or a key the plugin reads (podArgs) given twice with different values is error 4. Any other key
// may repeat with any values (Multus passes "IgnoreUnknown=1;IgnoreUnknown=true"); the last one is kept. Values may
// contain '='.
func ParseArgs(raw string) (map[string]string, *types.Error) {
	m := map[string]string{}
	for _, seg := range strings.Split(raw, ";") {
		if seg == "" {
			continue
		}
		k, v, found := strings.Cut(seg, "=")
		k = strings.TrimSpace(k)
		details := "CNI_ARGS='" + raw + "'"
		if !found {
			return nil, types.NewError(types.ErrInvalidEnvironmentVariables, "malformed CNI_ARGS: '"+seg+"' is not KEY=VALUE", details)
		}
		if k == "" {
			return nil, types.NewError(types.ErrInvalidEnvironmentVariables, "malformed CNI_ARGS: empty key in '"+seg+"'", details)
		}
		if old, dup := m[k]; dup && old != v && podArgs[k] {
			return nil, types.NewError(types.ErrInvalidEnvironmentVariables, "malformed CNI_ARGS: '"+k+"' given twice with different values", details)
		}
		m[k] = v
	}
	return m, nil
}

// PodFromArgs returns K8S_POD_NAMESPACE, K8S_POD_NAME and K8S_POD_UID (optional), validated because they end up
// in API paths.
func PodFromArgs(raw string) (Pod, *types.Error) {
	args, e := ParseArgs(raw)
	if e != nil {
		return Pod{}, e
	}
	p := Pod{Namespace: args["K8S_POD_NAMESPACE"], Name: args["K8S_POD_NAME"], UID: args["K8S_POD_UID"]}
	if p.Namespace == "" || p.Name == "" {
		return p, types.NewError(types.ErrInvalidEnvironmentVariables, "CNI_ARGS lacks K8S_POD_NAMESPACE and/or K8S_POD_NAME", "CNI_ARGS='"+raw+"'")
	}
	if !IsK8sName(p.Namespace) || len(p.Namespace) > 63 {
		return p, types.NewError(types.ErrInvalidEnvironmentVariables, "K8S_POD_NAMESPACE '"+p.Namespace+"' is not a valid namespace name", "")
	}
	if !IsK8sName(p.Name) {
		return p, types.NewError(types.ErrInvalidEnvironmentVariables, "K8S_POD_NAME '"+p.Name+"' is not a valid pod name", "")
	}
	return p, nil
}
