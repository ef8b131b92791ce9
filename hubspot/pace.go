package hubspot

import "time"

// pace spreads bulk requests evenly over the window: a token bucket that
// refills at the window's rate and holds a quarter of it. Without it a
// backfill spends a whole window in its first seconds and then waits for
// the rest of it — while its own next steps and every live order wait too.
type pace struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// paceBurstDiv sets the burst: a quarter of the window.
const paceBurstDiv = 4

func newPace(limit int, window time.Duration) *pace {
	p := &pace{}
	p.set(limit, window)
	p.tokens = p.burst
	return p
}

func (p *pace) set(limit int, window time.Duration) {
	p.rate = float64(limit) / window.Seconds()
	p.burst = max(float64(limit)/paceBurstDiv, 1)
	p.tokens = min(p.tokens, p.burst)
}

func (p *pace) refill(now time.Time) {
	if !p.at.IsZero() && now.After(p.at) {
		p.tokens = min(p.burst, p.tokens+now.Sub(p.at).Seconds()*p.rate)
	}
	if p.at.IsZero() || now.After(p.at) {
		p.at = now
	}
}

// ready is when a token is there: now or later.
func (p *pace) ready(now time.Time) time.Time {
	p.refill(now)
	if p.tokens >= 1-1e-9 {
		return now
	}
	// At least a millisecond: a wait that rounds to nothing would spin.
	return now.Add(max(time.Duration((1-p.tokens)/p.rate*float64(time.Second)), time.Millisecond))
}

func (p *pace) take(now time.Time) {
	p.refill(now)
	p.tokens--
}
