// Package memlimit keeps the Go runtime's soft memory limit. The process's
// own work (rounds of orders, API pages) fits in a small heap, but with
// the default GC pacing the heap grows to twice what is live before it is
// collected; a soft limit makes the collector work harder instead once the
// heap nears it. Tasks that need much memory for a moment — a password
// hash holds 64 MiB — reserve it, so the limit rises while they run rather
// than the collector running without pause beside them.
package memlimit

import (
	"runtime/debug"
	"sync"
)

// Limit is the process's soft memory limit. A nil *Limit changes nothing.
type Limit struct {
	mu       sync.Mutex
	base     int64
	reserved int64
	set      func(int64) int64
}

// Start sets the soft limit to base bytes and returns it, or returns nil
// and leaves the runtime alone when base is not positive or GOMEMLIMIT is
// set in env (the operator's own setting wins).
func Start(base int64, env func(string) string) *Limit {
	return start(base, env, debug.SetMemoryLimit)
}

func start(base int64, env func(string) string, set func(int64) int64) *Limit {
	if base <= 0 || env("GOMEMLIMIT") != "" {
		return nil
	}
	l := &Limit{base: base, set: set}
	l.set(base)
	return l
}

// Reserve raises the limit by n bytes until release is called.
func (l *Limit) Reserve(n int64) (release func()) {
	if l == nil || n <= 0 {
		return func() {}
	}
	l.change(n)
	var once sync.Once
	return func() { once.Do(func() { l.change(-n) }) }
}

func (l *Limit) change(d int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reserved += d
	l.set(l.base + l.reserved)
}
