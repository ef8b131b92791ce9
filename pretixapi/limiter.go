package pretixapi

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// DefaultRateLimit is pretix.eu's limit for token authentication: requests
// per minute per organizer account.
const DefaultRateLimit = 360

// Limiter paces requests to one organizer so that no window of 60 seconds
// ever holds more than the limit — clients should not rely on 429s, and a
// 429 answered with Retry-After pauses everyone sharing the limiter. Share
// one Limiter between all clients of an organizer.
type Limiter struct {
	clock clockwork.Clock

	mu          sync.Mutex
	perMinute   int
	burst       float64
	rate        float64 // tokens per second
	tokens      float64
	last        time.Time
	pausedUntil time.Time
}

// NewLimiter returns a limiter for perMinute requests per minute (<= 0 means
// no pacing; Retry-After pauses still apply). It allows a burst of one
// second's worth and refills slightly slower than perMinute/60 so that
// burst + a minute of refill never exceeds the limit.
func NewLimiter(perMinute int, clock clockwork.Clock) *Limiter {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	l := &Limiter{clock: clock, perMinute: perMinute}
	if perMinute > 0 {
		l.burst = float64(max(1, perMinute/60))
		l.rate = (float64(perMinute) - l.burst) / 60
		if l.rate <= 0 {
			l.rate = float64(perMinute) / 120
		}
		l.tokens = l.burst
		l.last = clock.Now()
	}
	return l
}

// PerMinute returns the configured limit.
func (l *Limiter) PerMinute() int { return l.perMinute }

// Wait blocks until a request may be sent or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		wait := l.reserve()
		if wait <= 0 {
			return nil
		}
		select {
		case <-l.clock.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reserve takes a token and returns 0, or returns how long to wait first.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if now.Before(l.pausedUntil) {
		return l.pausedUntil.Sub(now)
	}
	if l.perMinute <= 0 {
		return 0
	}
	if el := now.Sub(l.last).Seconds(); el > 0 {
		l.tokens = min(l.burst, l.tokens+el*l.rate)
		l.last = now
	}
	if l.tokens >= 1 {
		l.tokens--
		return 0
	}
	return time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
}

// PauseFor stops every request through this limiter for d (a 429's
// Retry-After) and empties the bucket, so requests resume gently.
func (l *Limiter) PauseFor(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if until := now.Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	l.tokens = 0
	l.last = l.pausedUntil
}
