// Package cnilog is the plugin's append-only log file. Never stdout (stdout carries the CNI result). If the file
// cannot be opened, nothing is logged. Each line is one write on an O_APPEND file, so concurrent plugin processes
// interleave whole lines. One rotation step (<file>.1) when the file exceeds its size limit.
package cnilog

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"spinneret.dev/cni/config"
)

// Logger writes to one file; the zero value (or nil) logs nothing.
type Logger struct {
	mu     sync.Mutex
	f      *os.File
	level  config.Level
	prefix string
}

// Open opens (creating it and its directory) the log file, rotating it once when it is larger than maxBytes.
func Open(path string, level config.Level, maxBytes int64) *Logger {
	l := &Logger{level: level}
	if path == "" {
		return l
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return l
	}
	if st, err := os.Stat(path); err == nil && maxBytes > 0 && st.Size() > maxBytes {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		l.f = f
	}
	return l
}

// SetContext sets a short string put on every line (command, container id, pod, interface).
func (l *Logger) SetContext(ctx string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.prefix = ctx
	l.mu.Unlock()
}

// DebugEnabled reports whether debug lines are written.
func (l *Logger) DebugEnabled() bool { return l != nil && l.f != nil && l.level == config.Debug }

func (l *Logger) write(lv config.Level, format string, a ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || lv < l.level {
		return
	}
	line := fmt.Sprintf("%s %s [%d] %s %s\n", time.Now().UTC().Format(time.RFC3339Nano), lv, os.Getpid(), l.prefix, fmt.Sprintf(format, a...))
	if _, err := l.f.WriteString(line); err != nil {
		l.f = nil
	}
}

// Debugf logs at debug level.
func (l *Logger) Debugf(format string, a ...any) { l.write(config.Debug, format, a...) }

// Infof logs at info level.
func (l *Logger) Infof(format string, a ...any) { l.write(config.Info, format, a...) }

// Warnf logs at warn level.
func (l *Logger) Warnf(format string, a ...any) { l.write(config.Warn, format, a...) }

// Errorf logs at error level.
func (l *Logger) Errorf(format string, a ...any) { l.write(config.Error, format, a...) }

// Close closes the file.
func (l *Logger) Close() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}
