package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spinneret.dev/cni/internal/apitest"
)

var binary string

// TestMain builds the plugin once; the tests run it as the runtime does: env, stdin, stdout, exit code.
func TestMain(m *testing.M) {
	if os.Getenv("SPINNERET_TEST_RACE") != "" { // a child of TestWatchdogAndCommandPrintOneAnswerWithItsStatus
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "spinneret-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "spinneret")
	build := exec.Command("go", append(append([]string{"build"}, raceFlags...), "-o", binary, ".")...)
	if raceFlags != nil {
		build.Env = append(os.Environ(), "CGO_ENABLED=1")
	}
	if out, err := build.CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type outcome struct {
	rc     int
	stdout string
	took   time.Duration
}

func exe(t *testing.T, env map[string]string, stdin string) outcome {
	t.Helper()
	cmd := exec.Command(binary)
	// a race-built binary exits 66 at the first data race it sees, and says where on stderr
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GORACE=halt_on_error=1 exitcode=66"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	start := time.Now()
	err := cmd.Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errOut.String(), "DATA RACE") {
		t.Fatalf("data race in the plugin binary:\n%s", errOut.String())
	}
	return outcome{rc, out.String(), time.Since(start)}
}

func cniEnv(cmd string) map[string]string {
	return map[string]string{"CNI_COMMAND": cmd, "CNI_CONTAINERID": "c1", "CNI_NETNS": "/var/run/netns/x", "CNI_IFNAME": "eth0",
		"CNI_PATH": "/opt/cni/bin", "CNI_ARGS": "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1"}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("stdout %q is not one JSON object: %v", s, err)
	}
	return m
}

func netconf(version, kubeconfig, logFile string, extra string) string {
	return `{"cniVersion":"` + version + `","name":"macvlan","type":"macvlan","ipam":{"type":"spiderpool","kubeconfig":"` + kubeconfig +
		`","log_file_path":"` + logFile + `","log_level":"debug"` + extra + `}}`
}

func TestVersionAndEnvironmentErrors(t *testing.T) {
	o := exe(t, map[string]string{"CNI_COMMAND": "VERSION"}, "")
	if m := decode(t, o.stdout); o.rc != 0 || m["cniVersion"] != "1.1.0" || len(m["supportedVersions"].([]any)) != 4 {
		t.Fatalf("VERSION: %+v", o)
	}
	o = exe(t, map[string]string{"CNI_COMMAND": "ADD"}, "{}")
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 4.0 {
		t.Fatalf("missing env: %+v", o)
	}
	env := cniEnv("ADD")
	o = exe(t, env, netconf("0.2.0", "/k", "", ""))
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 1.0 {
		t.Fatalf("unsupported version: %+v", o)
	}
	env["CNI_ARGS"] = "K8S_POD_NAMESPACE=default;bogus"
	o = exe(t, env, netconf("1.0.0", "/k", "", ""))
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 4.0 || m["cniVersion"] != "1.0.0" || !strings.Contains(m["msg"].(string), "not KEY=VALUE") {
		t.Fatalf("bad CNI_ARGS: %+v", o)
	}
	// DEL fails only for input no retry can fix
	o = exe(t, cniEnv("DEL"), "{not json")
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 6.0 {
		t.Fatalf("DEL with undecodable config: %+v", o)
	}
	o = exe(t, cniEnv("DEL"), `{"cniVersion":"1.0.0","name":"n","ipam":{"type":"spinneret","timeout_seconds":"x"}}`)
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 7.0 {
		t.Fatalf("DEL with invalid config: %+v", o)
	}
}

func TestAddCheckDelThroughTheBinary(t *testing.T) {
	s := apitest.NewServer(t, apitest.Options{})
	dir := t.TempDir()
	kc := s.Kubeconfig(t, dir, "token: t")
	logFile := filepath.Join(dir, "logs", "cni.log")
	s.AddPod("default", "p1", "u1", map[string]string{"ipam.spidernet.io/reservation-id": "r1"},
		map[string]string{"ipam.spidernet.io/reserved-ips": `{"id":"r1","poolUIDs":{"p":"pu"},"interfaces":[{"interface":"eth0","ipv4":"10.1.0.7/24","ipv4Pool":"p","ipv4Gateway":"10.1.0.1"}]}`}, "n1")
	s.PutBlock("pu-0a010000", map[string]any{"pool": "p", "poolUID": "pu", "ipVersion": 4, "firstIP": "10.1.0.0",
		"allocatedIPs": "10.1.0.5=r0,.7=r1", "holders": map[string]any{"r0": "default/p0", "r1": "default/p1"}})
	o := exe(t, cniEnv("ADD"), netconf("0.3.1", kc, logFile, ""))
	m := decode(t, o.stdout)
	ip := m["ips"].([]any)[0].(map[string]any)
	if o.rc != 0 || m["cniVersion"] != "0.3.1" || ip["version"] != "4" || ip["address"] != "10.1.0.7/24" || ip["gateway"] != "10.1.0.1" {
		t.Fatalf("ADD: %+v", o)
	}
	o = exe(t, cniEnv("CHECK"), `{"cniVersion":"1.0.0","name":"macvlan","ipam":{"type":"spinneret","kubeconfig":"`+kc+
		`","log_file_path":"`+logFile+`"},"prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.7/24"}]}}`)
	if o.rc != 0 || o.stdout != "" {
		t.Fatalf("CHECK: %+v", o)
	}
	o = exe(t, cniEnv("DEL"), netconf("1.0.0", kc, logFile, ""))
	if o.rc != 0 || o.stdout != "" {
		t.Fatalf("DEL: %+v", o)
	}
	// a pod created with a copy of p1's annotation and label gets nothing, and nothing is written for it
	pod, _ := s.Pods["default/p1"]["metadata"].(map[string]any)
	s.AddPod("default", "p2", "u2", pod["labels"].(map[string]string), pod["annotations"].(map[string]string), "n1")
	env := cniEnv("ADD")
	env["CNI_ARGS"] = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p2"
	o = exe(t, env, netconf("1.0.0", kc, logFile, ""))
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 103.0 || !strings.Contains(m["msg"].(string), "of pod default/p1; the pod carries a copied or forged") {
		t.Fatalf("copied annotation: %+v", o)
	}
	if s.Endpoint("default", "p2") != nil {
		t.Fatal("endpoint written for the copy")
	}
	env["CNI_ARGS"] = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=absent"
	o = exe(t, env, netconf("1.0.0", kc, logFile, ""))
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 104.0 || m["cniVersion"] != "1.0.0" {
		t.Fatalf("absent pod: %+v", o)
	}
	o = exe(t, map[string]string{"CNI_COMMAND": "STATUS", "CNI_PATH": "/opt/cni/bin"}, netconf("1.1.0", kc, logFile, ""))
	if o.rc != 0 || o.stdout != "" {
		t.Fatalf("STATUS: %+v", o)
	}
	log, _ := os.ReadFile(logFile)
	for _, want := range []string{"ledger (1 GET)", "ADD ok: reservation r1 eth0 10.1.0.7/24 (p)", "CHECK ok", "DEL: cleared containerID", "pod default/absent not found"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestTimeBound(t *testing.T) {
	s := apitest.NewServer(t, apitest.Options{})
	s.Set(func(s *apitest.Server) { s.Delay = 5 * time.Second })
	dir := t.TempDir()
	kc := s.Kubeconfig(t, dir, "token: t")
	o := exe(t, cniEnv("ADD"), netconf("1.0.0", kc, "", `,"timeout_seconds":0.5`))
	if m := decode(t, o.stdout); o.rc != 1 || m["code"] != 11.0 || o.took > 3*time.Second {
		t.Fatalf("slow API server, ADD: %+v", o)
	}
	o = exe(t, cniEnv("DEL"), netconf("1.0.0", kc, "", `,"timeout_seconds":0.5`))
	if o.rc != 0 || o.stdout != "" || o.took > 3*time.Second {
		t.Fatalf("slow API server, DEL: %+v", o)
	}
}
