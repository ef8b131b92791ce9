package pretixfake

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// rateLimiter enforces pretix.eu's per-organizer request limit. pretix does
// not document its algorithm, so the emulator uses the strictest reading of
// "N requests per minute": a token bucket refilled at N/60 per second that
// holds only Burst requests. A client that survives this survives a
// sliding-window limiter too.
type rateLimiter struct {
	clock clockwork.Clock

	mu      sync.Mutex
	on      bool
	perMin  int
	burst   int
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(clock clockwork.Clock, perMin, burst int, on bool) *rateLimiter {
	return &rateLimiter{clock: clock, on: on, perMin: perMin, burst: burst, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) configure(perMin, burst int, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on, l.perMin, l.burst = on, perMin, burst
	l.buckets = map[string]*bucket{}
}

func (l *rateLimiter) config() (int, int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.perMin, l.burst, l.on
}

// take spends one request of key's budget. When none is left it returns the
// time until one is available and limited=true.
func (l *rateLimiter) take(key string) (wait time.Duration, limited bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on {
		return 0, false
	}
	now := l.clock.Now()
	rate := float64(l.perMin) / 60 // per second
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.burst), at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(float64(l.burst), b.tokens+el*rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, false
	}
	need := (1 - b.tokens) / rate
	return time.Duration(need * float64(time.Second)), true
}
