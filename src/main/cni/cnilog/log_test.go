package cnilog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spinneret.dev/cni/config"
)

func TestLevelsContextAndRotation(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "cni.log")
	l := Open(p, config.Info, 1<<20)
	l.SetContext("ADD c1 default/p eth0")
	l.Debugf("hidden")
	l.Infof("shown %d", 1)
	l.Close()
	b, _ := os.ReadFile(p)
	if strings.Contains(string(b), "hidden") || !strings.Contains(string(b), "INFO") || !strings.Contains(string(b), "ADD c1 default/p eth0 shown 1") {
		t.Fatalf("log: %s", b)
	}
	if err := os.WriteFile(p, make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	l = Open(p, config.Debug, 1<<20)
	l.Debugf("after rotation")
	l.Close()
	old, _ := os.Stat(p + ".1")
	b, _ = os.ReadFile(p)
	if old == nil || old.Size() != 2<<20 || !strings.Contains(string(b), "after rotation") || len(b) > 200 {
		t.Fatalf("rotation: %v %q", old, b)
	}
	var nl *Logger
	nl.Infof("a nil logger logs nothing")
	Open("/proc/no/such/dir/x.log", config.Debug, 0).Errorf("an unopenable file logs nothing")
}
