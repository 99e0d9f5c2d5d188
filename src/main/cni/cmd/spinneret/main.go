// Command spinneret is Spinneret's CNI IPAM plugin (also installed as "spiderpool"). The container runtime execs it
// once per interface per pod; stdout carries exactly one result or error, logs go to a file (docs/cni.md).
package main

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"

	"spinneret.dev/cni/cnilog"
	"spinneret.dev/cni/config"
	"spinneret.dev/cni/plugin"
)

// Version is set at build time (build.sh: -X main.Version=...).
var Version = "dev"

// supported are the CNI spec versions whose results the plugin renders.
var supported = version.PluginSupports("0.3.1", "0.4.0", "1.0.0", "1.1.0")

// latest is used for errors raised before the request's cniVersion is known.
const latest = "1.1.0"

// output lets exactly one writer (the command or the watchdog) print on stdout.
type output struct {
	mu       sync.Mutex
	done     bool
	watchdog bool // the watchdog printed
}

// emit prints b unless something was printed already; it reports whether it printed.
func (o *output) emit(b []byte, byWatchdog bool) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return false
	}
	o.done, o.watchdog = true, byWatchdog
	os.Stdout.Write(append(b, '\n'))
	return true
}

// close ends the command's output: the watchdog prints nothing afterwards. It reports false when the watchdog has
// printed already: the process is then the watchdog's to end, with the status that matches its answer.
func (o *output) close() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return !o.watchdog
	}
	o.done = true
	return true
}

type run struct {
	start   time.Time
	out     output
	command string
	version string
	log     *cnilog.Logger
}

// setup parses the configuration, opens the log and starts the watchdog; it returns the call's context.
func (r *run) setup(args *skel.CmdArgs) (*config.Conf, context.Context, context.CancelFunc, *types.Error) {
	conf, e := config.Parse(args.StdinData)
	if e != nil {
		return nil, nil, nil, e
	}
	r.version = conf.CNIVersion
	r.log = cnilog.Open(conf.LogFile, conf.LogLevel, conf.LogMaxBytes)
	pod := "-/-"
	if a, err := config.ParseArgs(args.Args); err == nil {
		pod = a["K8S_POD_NAMESPACE"] + "/" + a["K8S_POD_NAME"]
	}
	id := args.ContainerID
	if len(id) > 12 {
		id = id[:12]
	}
	r.log.SetContext(r.command + " " + id + " " + pod + " " + args.IfName)
	deadline := plugin.Deadline(r.start, conf)
	r.watchdog(deadline)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	return conf, ctx, cancel, nil
}

// watchdog bounds the whole call: the API calls already follow the context deadline, this catches anything they
// do not cover. ADD/CHECK print "try again later"; DEL exits 0.
func (r *run) watchdog(deadline time.Time) {
	time.AfterFunc(time.Until(deadline)+300*time.Millisecond, func() {
		r.log.Errorf("watchdog: call exceeded its time budget; aborting")
		if r.command == "DEL" {
			os.Exit(0)
		}
		if !r.out.emit(plugin.ErrorJSON(r.version, types.NewError(types.ErrTryAgainLater, "timed out waiting for the Kubernetes API server", "")), true) {
			return // the command printed its answer just now and is exiting with the matching status
		}
		os.Exit(1)
	})
}

func (r *run) plugin() *plugin.Plugin {
	return &plugin.Plugin{Log: r.log, Getenv: os.Getenv}
}

func (r *run) add(args *skel.CmdArgs) error {
	conf, ctx, cancel, e := r.setup(args)
	if e != nil {
		return e
	}
	defer cancel()
	res, e := r.plugin().Add(ctx, args, conf)
	if e != nil {
		return e
	}
	versioned, err := res.GetAsVersion(conf.CNIVersion)
	if err != nil {
		return types.NewError(types.ErrIncompatibleCNIVersion, err.Error(), "")
	}
	b, err := json.Marshal(versioned)
	if err != nil {
		return types.NewError(types.ErrIOFailure, "cannot encode the result: "+err.Error(), "")
	}
	r.out.emit(b, false)
	return nil
}

func (r *run) check(args *skel.CmdArgs) error {
	conf, ctx, cancel, e := r.setup(args)
	if e != nil {
		return e
	}
	defer cancel()
	if e := r.plugin().Check(ctx, args, conf); e != nil {
		return e
	}
	return nil
}

func (r *run) del(args *skel.CmdArgs) error {
	conf, ctx, cancel, e := r.setup(args)
	if e != nil {
		return e
	}
	defer cancel()
	r.plugin().Del(ctx, args, conf)
	return nil
}

func (r *run) status(args *skel.CmdArgs) error {
	conf, _, cancel, e := r.setup(args)
	if e != nil {
		return e
	}
	defer cancel()
	if e := r.plugin().Status(conf); e != nil {
		return e
	}
	return nil
}

// gc (CNI 1.1) releases nothing: addresses belong to pods, and the service's garbage collector releases those of
// pods that are gone.
func (r *run) gc(args *skel.CmdArgs) error {
	_, _, cancel, e := r.setup(args)
	if e != nil {
		return e
	}
	defer cancel()
	r.log.Infof("GC: nothing to do (the Spinneret service releases the addresses of deleted pods)")
	return nil
}

// failsDel tells the codes that DEL reports: only input that no retry can fix.
func failsDel(code uint) bool {
	return code == types.ErrIncompatibleCNIVersion || code == types.ErrInvalidEnvironmentVariables ||
		code == types.ErrDecodingFailure || code == types.ErrInvalidNetworkConfig
}

func main() {
	r := &run{start: time.Now(), command: os.Getenv("CNI_COMMAND"), version: latest}
	r.exit(skel.PluginMainFuncsWithError(skel.CNIFuncs{Add: r.add, Check: r.check, Del: r.del, Status: r.status, GC: r.gc},
		supported, "Spinneret CNI IPAM plugin "+Version))
}

// exit ends the process after the command: status 0 for success (unless the watchdog answered first: then its
// exit follows), 1 with the error on stdout, 0 for a DEL error a retry could fix.
func (r *run) exit(e *types.Error) {
	if e == nil {
		r.log.Close()
		if !r.out.close() {
			select {} // the watchdog printed "try again later" and exits 1 now
		}
		os.Exit(0)
	}
	r.log.Errorf("CNI error %d: %s", e.Code, e.Error())
	r.log.Close()
	if r.command == "DEL" && !failsDel(e.Code) {
		os.Exit(0)
	}
	r.out.emit(plugin.ErrorJSON(r.version, e), false)
	os.Exit(1)
}
