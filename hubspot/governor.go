package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Governor defaults: HubSpot allows 110 requests per rolling 10 s per portal
// for public apps; the response headers tune us to what the portal says.
const (
	DefaultMax    = 110
	DefaultWindow = 10 * time.Second
	// spare is how many requests of HubSpot's Max we leave unused per window:
	// our send times and HubSpot's arrival times differ by the network's
	// jitter, and a request refused at the limit still counts.
	spare = 3
)

// DefaultPerWindow is our budget per window for HubSpot's default limit.
const DefaultPerWindow = DefaultMax - spare

// Pause reasons in GovernorState.Reason.
const (
	PauseTenSecondly = "ten_secondly" // a burst 429: wait for the rolling window
	PauseSecondly    = "secondly"
	PauseDaily       = "daily"     // the daily limit: until the portal's midnight
	PauseMigration   = "migration" // 477: the portal moves between data centres
)

// Governor keeps one rolling-window budget per portal, shared by every caller of that
// portal, and the portal's pause state after a 429 or 477.
type Governor struct {
	clock   clockwork.Clock
	mu      sync.Mutex
	portals map[int64]*portalLimiter
}

// GovernorState is a portal's rate-limit state, for the UI.
type GovernorState struct {
	HubID          int64         `json:"hub_id"`
	PausedUntil    time.Time     `json:"paused_until"` // zero when not paused
	Reason         string        `json:"reason"`       // Pause* constant, "" when not paused
	Policy         string        `json:"policy"`       // HubSpot's policyName of the last 429
	PerWindow      int           `json:"per_window"`   // our budget per window
	Window         time.Duration `json:"window"`
	Remaining      int           `json:"remaining"`       // last X-HubSpot-RateLimit-Remaining, -1 unknown
	DailyRemaining int           `json:"daily_remaining"` // last -Daily-Remaining, -1 unknown
	Sent           int64         `json:"sent"`            // requests let through
	RateLimited    int64         `json:"rate_limited"`    // 429s received
}

// NewGovernor returns an empty governor.
func NewGovernor(clock clockwork.Clock) *Governor {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Governor{clock: clock, portals: map[int64]*portalLimiter{}}
}

func (g *Governor) portal(hubID int64) *portalLimiter {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.portals[hubID]
	if p == nil {
		p = &portalLimiter{
			hubID: hubID, clock: g.clock, loc: time.UTC, perWindow: DefaultPerWindow, window: DefaultWindow,
			budget:    newRollingWindow(DefaultPerWindow, DefaultWindow),
			remaining: -1, dailyRemaining: -1,
		}
		g.portals[hubID] = p
	}
	return p
}

// SetTimeZone tells the governor a portal's time zone, where its daily limit
// resets at midnight.
func (g *Governor) SetTimeZone(hubID int64, loc *time.Location) {
	if loc == nil {
		return
	}
	p := g.portal(hubID)
	p.mu.Lock()
	p.loc = loc
	p.mu.Unlock()
}

// State returns a portal's state.
func (g *Governor) State(hubID int64) GovernorState {
	return g.portal(hubID).state()
}

// Resume lifts a portal's pause (e.g. an admin knows the daily limit was raised).
func (g *Governor) Resume(hubID int64) {
	p := g.portal(hubID)
	p.mu.Lock()
	p.pausedUntil, p.reason = time.Time{}, ""
	p.mu.Unlock()
}

type portalLimiter struct {
	hubID int64
	clock clockwork.Clock

	mu             sync.Mutex
	budget         *rollingWindow
	loc            *time.Location
	perWindow      int
	window         time.Duration
	pausedUntil    time.Time
	reason, policy string
	inflight       int
	remaining      int
	dailyRemaining int
	sent, limited  int64
}

func (p *portalLimiter) state() GovernorState {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := GovernorState{HubID: p.hubID, Policy: p.policy, PerWindow: p.perWindow, Window: p.window,
		Remaining: p.remaining, DailyRemaining: p.dailyRemaining, Sent: p.sent, RateLimited: p.limited}
	if p.clock.Now().Before(p.pausedUntil) {
		st.PausedUntil, st.Reason = p.pausedUntil, p.reason
	}
	return st
}

// sleep waits d on the clock or until ctx ends.
func sleep(ctx context.Context, clock clockwork.Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.Chan():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// acquire waits for a paused portal and for a token. A pause longer than
// maxBlock is returned as a ClassRateLimit error instead of blocking, so a
// daily limit parks jobs instead of holding a worker for hours. Waiting is
// never an error and never an attempt.
func (p *portalLimiter) acquire(ctx context.Context, op string, maxBlock time.Duration) error {
	for {
		p.mu.Lock()
		now := p.clock.Now()
		if now.Before(p.pausedUntil) {
			until, reason, policy := p.pausedUntil, p.reason, p.policy
			p.mu.Unlock()
			if until.Sub(now) > maxBlock {
				return pausedError(op, until, reason, policy)
			}
			if err := sleep(ctx, p.clock, until.Sub(now)); err != nil {
				return networkError(op, err)
			}
			continue
		}
		at := p.budget.reserve(now)
		p.mu.Unlock()
		if delay := at.Sub(now); delay > 0 {
			if err := sleep(ctx, p.clock, delay); err != nil {
				p.mu.Lock()
				p.budget.cancel(at)
				p.mu.Unlock()
				return networkError(op, err)
			}
		}
		p.mu.Lock()
		if p.clock.Now().Before(p.pausedUntil) {
			// Paused while we waited: the token is spent, wait for the pause.
			p.mu.Unlock()
			continue
		}
		p.inflight++
		p.sent++
		p.mu.Unlock()
		return nil
	}
}

func pausedError(op string, until time.Time, reason, policy string) *Error {
	msg := map[string]string{
		PauseDaily:       "You have reached your daily limit.",
		PauseMigration:   "The HubSpot account is being migrated between data centres.",
		PauseTenSecondly: "You have reached your ten_secondly_rolling limit.",
		PauseSecondly:    "You have reached your secondly limit.",
	}[reason]
	status := http.StatusTooManyRequests
	if reason == PauseMigration {
		status = 477
	}
	return &Error{Class: ClassRateLimit, Op: op, Status: status, Message: msg, PolicyName: policy, RetryAt: until}
}

// release ends an acquired request and learns from its response headers
// (nil for transport failures).
func (p *portalLimiter) release(h http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	if h != nil {
		p.observeLocked(h, p.clock.Now())
	}
}

// observeLocked tunes the budget from X-HubSpot-RateLimit-* headers: Max
// and Interval set the window (less spare); a Remaining lower than our
// budget thinks means someone else spends the portal's budget, so we spend
// the difference too.
func (p *portalLimiter) observeLocked(h http.Header, now time.Time) {
	limit, errMax := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Max"))
	ms, errMs := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
	if errMax == nil && errMs == nil && limit > 0 && ms > 0 {
		per := max(limit-spare, 1)
		window := time.Duration(ms) * time.Millisecond
		if per != p.perWindow || window != p.window {
			p.perWindow, p.window = per, window
			p.budget.setLimit(per, window)
		}
	}
	if rem, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining")); err == nil {
		p.remaining = rem
		// Our own requests still in flight may not be counted yet.
		if deficit := p.budget.free(now) - (rem - p.inflight - spare); deficit >= 1 {
			p.budget.spend(now, deficit)
		}
	}
	if d, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Daily-Remaining")); err == nil {
		p.dailyRemaining = d
		if d <= 0 {
			p.pauseLocked(nextMidnight(now, p.loc), PauseDaily, "DAILY")
		}
	}
}

// onRateLimited pauses the portal after a 429 for as long as its policy says
// and returns the pause's end.
func (p *portalLimiter) onRateLimited(policy string, retryAt time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	p.limited++
	var until time.Time
	reason := PauseTenSecondly
	switch policy {
	case "DAILY":
		until, reason = nextMidnight(now, p.loc), PauseDaily
	case "SECONDLY":
		until, reason = now.Add(time.Second), PauseSecondly
	default:
		// TEN_SECONDLY_ROLLING (or unnamed): after one full window the
		// rolling count is surely below the limit.
		until = now.Add(p.window)
	}
	if retryAt.After(until) {
		until = retryAt
	}
	p.pauseLocked(until, reason, policy)
	return p.pausedUntil
}

// onMigration pauses the portal after a 477.
func (p *portalLimiter) onMigration(retryAt time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pauseLocked(retryAt, PauseMigration, "")
	return p.pausedUntil
}

func (p *portalLimiter) pauseLocked(until time.Time, reason, policy string) {
	if until.After(p.pausedUntil) {
		p.pausedUntil, p.reason = until, reason
	}
	if policy != "" {
		p.policy = policy
	}
}

// nextMidnight is the start of the next day in loc.
func nextMidnight(now time.Time, loc *time.Location) time.Time {
	l := now.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}
