package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"spinneret.dev/cni/cnilog"
	"spinneret.dev/cni/config"
)

// In the child: a plugin process whose watchdog fires about when the ADD prints its result (the delay in
// SPINNERET_TEST_RACE, in microseconds, shifts the command against the watchdog).
func watchdogChild() {
	delay, _ := strconv.Atoi(os.Getenv("SPINNERET_TEST_RACE"))
	r := &run{start: time.Now(), command: "ADD", version: "1.0.0", log: cnilog.Open("", config.Info, 0)}
	r.watchdog(time.Now().Add(-300 * time.Millisecond)) // fires now
	time.Sleep(time.Duration(delay) * time.Microsecond)
	r.out.emit([]byte(`{"cniVersion":"1.0.0","ips":[]}`), false)
	r.exit(nil)
}

// The watchdog and the command finishing at the same moment: exactly one answer on stdout, and the exit status
// matches it (1 with the watchdog's "try again later", 0 with the result). The child is this test binary, built
// with -race under `go test -race`, so the watchdog goroutine runs under the race detector.
func TestWatchdogAndCommandPrintOneAnswerWithItsStatus(t *testing.T) {
	if os.Getenv("SPINNERET_TEST_RACE") != "" {
		watchdogChild()
		return
	}
	seen := map[int]int{}
	for i := 0; i < 24; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdogAndCommandPrintOneAnswerWithItsStatus$")
		cmd.Env = append(os.Environ(), "SPINNERET_TEST_RACE="+strconv.Itoa(i*4), "GORACE=halt_on_error=1 exitcode=66")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		rc := 0
		if ee, ok := err.(*exec.ExitError); ok {
			rc = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(errOut.String(), "DATA RACE") {
			t.Fatalf("data race:\n%s", errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var answer map[string]any
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &answer) != nil {
			t.Fatalf("delay %d µs: stdout %q (rc %d, stderr %s), want one JSON answer", i*4, out.String(), rc, errOut.String())
		}
		_, isError := answer["code"]
		if isError && rc != 1 || !isError && rc != 0 {
			t.Fatalf("delay %d µs: exit status %d with answer %s", i*4, rc, lines[0])
		}
		seen[rc]++
	}
	t.Logf("exit statuses over the delays: %v", seen)
}

// Who ends the process: the command exits 0 only when the watchdog has not printed its error.
func TestOutputLetsOneWriterPrintAndTellsWhoDid(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/stdout")
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = stdout }()
	var byWatchdog output
	if !byWatchdog.emit([]byte("timeout"), true) || byWatchdog.emit([]byte("result"), false) || byWatchdog.close() {
		t.Fatal("after the watchdog printed: the command must not print, and must leave the exit to the watchdog")
	}
	var byCommand output
	if !byCommand.emit([]byte("result"), false) || byCommand.emit([]byte("timeout"), true) || !byCommand.close() {
		t.Fatal("after the command printed: the watchdog must not print, and the command exits")
	}
	var silent output // CHECK, DEL: nothing to print
	if !silent.close() || silent.emit([]byte("timeout"), true) {
		t.Fatal("after a silent command closed the output the watchdog must not print")
	}
	b, _ := os.ReadFile(f.Name())
	if string(b) != "timeout\nresult\n" {
		t.Fatalf("stdout %q", b)
	}
}
