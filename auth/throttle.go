package auth

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Throttle slows down password guessing. Every attempt first reserves a
// place under each of its keys, before the slow hash runs, so that
// simultaneous guesses cannot all pass a check that only counts finished
// ones. Keys follow OWASP's advice: (client address, user) stops guessing one
// account, the client address alone stops spraying many accounts, and no key
// is the user alone, so a stranger's failures never lock the admin out from
// another address. A key that is locked out again after its lock-out ended
// waits twice as long each time, up to a day.
type Throttle struct {
	mu      sync.Mutex
	clock   clockwork.Clock
	entries map[string]*throttleEntry
}

// ThrottleLimit is how many failures a kind of key may collect within Window.
type ThrottleLimit struct {
	Max    int
	Window time.Duration
}

// Limits of the two kinds of key.
var (
	LimitAddressUser = ThrottleLimit{Max: 5, Window: 15 * time.Minute}
	LimitAddress     = ThrottleLimit{Max: 20, Window: 15 * time.Minute}
)

const maxLockout = 24 * time.Hour

type throttleEntry struct {
	limit       ThrottleLimit
	first       time.Time // first failure of the current window
	failures    int
	inFlight    int // reserved attempts whose hash is still running
	lockedUntil time.Time
	strikes     int // lock-outs so far; each doubles the next one
	lastSeen    time.Time
}

// ThrottleKey is one counter an attempt is checked against.
type ThrottleKey struct {
	Name  string
	Limit ThrottleLimit
}

// LoginKeys are the keys of a sign-in attempt from address for username.
func LoginKeys(address, username string) []ThrottleKey {
	return []ThrottleKey{
		{Name: "addr-user:" + address + "\x00" + username, Limit: LimitAddressUser},
		{Name: "addr:" + address, Limit: LimitAddress},
	}
}

// NewThrottle returns an empty throttle.
func NewThrottle(clock clockwork.Clock) *Throttle {
	return &Throttle{clock: clock, entries: map[string]*throttleEntry{}}
}

// Reservation is one admitted attempt; exactly one of Fail or Succeed must
// follow (Release when the attempt could not be judged).
type Reservation struct {
	t    *Throttle
	keys []ThrottleKey
	done bool
}

// Reserve admits an attempt under every key, or returns how long the most
// restricted key must still wait. Attempts still being checked count as
// failures until they are judged.
func (t *Throttle) Reserve(keys ...ThrottleKey) (*Reservation, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	t.pruneLocked(now)
	var wait time.Duration
	for _, k := range keys {
		e := t.entryLocked(k, now)
		if now.Before(e.lockedUntil) {
			wait = max(wait, e.lockedUntil.Sub(now))
			continue
		}
		if e.failures+e.inFlight >= e.limit.Max {
			// Only attempts still running fill the budget: ask to come back
			// once they are judged.
			wait = max(wait, time.Second)
		}
	}
	if wait > 0 {
		return nil, wait
	}
	for _, k := range keys {
		t.entries[k.Name].inFlight++
	}
	return &Reservation{t: t, keys: keys}, 0
}

// entryLocked returns the key's entry, starting a new window when the last
// one has passed without a lock-out.
func (t *Throttle) entryLocked(k ThrottleKey, now time.Time) *throttleEntry {
	e := t.entries[k.Name]
	if e == nil {
		e = &throttleEntry{limit: k.Limit}
		t.entries[k.Name] = e
	}
	if e.failures > 0 && now.Sub(e.first) >= e.limit.Window && !now.Before(e.lockedUntil) {
		e.failures = 0
	}
	if now.Sub(e.lastSeen) >= maxLockout && !now.Before(e.lockedUntil) {
		e.strikes = 0 // a day of good behaviour forgives earlier lock-outs
	}
	e.lastSeen = now
	return e
}

// pruneLocked bounds memory under a spray of addresses.
func (t *Throttle) pruneLocked(now time.Time) {
	if len(t.entries) < 10000 {
		return
	}
	for k, e := range t.entries {
		if e.inFlight == 0 && !now.Before(e.lockedUntil) && (e.failures == 0 || now.Sub(e.first) >= e.limit.Window) && e.strikes == 0 {
			delete(t.entries, k)
		}
	}
}

// Fail records the attempt as a failure; a key that reaches its limit is
// locked out for its window, doubled for every earlier lock-out.
func (r *Reservation) Fail() {
	r.finish(func(e *throttleEntry, now time.Time) {
		if e.failures == 0 {
			e.first = now
		}
		e.failures++
		if e.failures >= e.limit.Max {
			d := e.limit.Window << min(e.strikes, 10)
			e.lockedUntil = now.Add(min(d, maxLockout))
			e.strikes++
			e.failures = 0
		}
	})
}

// Succeed records a correct password: the address's failures for this user
// are forgotten (the address's own count stays, so a sprayer who knows one
// password cannot reset it).
func (r *Reservation) Succeed() {
	r.finish(func(e *throttleEntry, _ time.Time) {})
	r.t.mu.Lock()
	delete(r.t.entries, r.keys[0].Name)
	r.t.mu.Unlock()
}

// Release gives the place back without judging the attempt (the server could
// not check it).
func (r *Reservation) Release() { r.finish(func(*throttleEntry, time.Time) {}) }

func (r *Reservation) finish(f func(*throttleEntry, time.Time)) {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	now := r.t.clock.Now()
	for _, k := range r.keys {
		e := r.t.entries[k.Name]
		if e == nil {
			continue
		}
		e.inFlight--
		f(e, now)
	}
}
