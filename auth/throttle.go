package auth

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Throttle slows down password guessing: after maxFailures failures for a key
// (an IP or a username) within window, that key is blocked until the window
// of its first failure has passed.
type Throttle struct {
	mu          sync.Mutex
	clock       clockwork.Clock
	maxFailures int
	window      time.Duration
	entries     map[string]*throttleEntry
}

type throttleEntry struct {
	first    time.Time
	failures int
}

// NewThrottle allows 5 failures per key per 15 minutes.
func NewThrottle(clock clockwork.Clock) *Throttle {
	return &Throttle{clock: clock, maxFailures: 5, window: 15 * time.Minute, entries: map[string]*throttleEntry{}}
}

// Blocked returns how long the most restricted of keys must still wait (0 when none is blocked).
func (t *Throttle) Blocked(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	var wait time.Duration
	for _, k := range keys {
		e := t.entries[k]
		if e == nil {
			continue
		}
		if now.Sub(e.first) >= t.window {
			delete(t.entries, k)
			continue
		}
		if e.failures >= t.maxFailures {
			if w := e.first.Add(t.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

// Fail records a failed attempt for every key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	if len(t.entries) > 10000 {
		// Bound memory under a spray of addresses: forget stale entries.
		for k, e := range t.entries {
			if now.Sub(e.first) >= t.window {
				delete(t.entries, k)
			}
		}
	}
	for _, k := range keys {
		e := t.entries[k]
		if e == nil || now.Sub(e.first) >= t.window {
			e = &throttleEntry{first: now}
			t.entries[k] = e
		}
		e.failures++
	}
}

// Reset forgets the failures of a key after a successful login.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
}
