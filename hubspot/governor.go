package hubspot

import (
	"context"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
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
	// overtake is how much later a request may be sent and still reach
	// HubSpot before an earlier one; it is also how late, at first, we
	// take a request to reach HubSpot after it was written out.
	overtake = 100 * time.Millisecond
	// maxLag bounds how late we take requests to arrive after a 429 said
	// they arrive later than we thought.
	maxLag = 2 * time.Second
	// firstBackoff is the first pause after a burst 429; it doubles with
	// each further one up to the window (reference §6: back off from
	// about 1 s until the window drains).
	firstBackoff = time.Second
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
	DailyLimit     int           `json:"daily_limit"`     // last X-HubSpot-RateLimit-Daily, 0 unknown (OAuth apps get none)
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
			budget:     newRollingWindow(DefaultPerWindow, DefaultWindow),
			urgentSent: newRollingWindow(DefaultPerWindow, DefaultWindow),
			pace:       newPace(DefaultPerWindow, DefaultWindow),
			remaining:  -1, dailyRemaining: -1, lag: overtake,
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

// States returns the state of every portal the governor has seen, by id.
func (g *Governor) States() []GovernorState {
	g.mu.Lock()
	ids := make([]int64, 0, len(g.portals))
	for id := range g.portals {
		ids = append(ids, id)
	}
	g.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]GovernorState, 0, len(ids))
	for _, id := range ids {
		out = append(out, g.State(id))
	}
	return out
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
	waiters        []*waiter      // urgent ones first, then by order and arrival
	urgentSent     *rollingWindow // urgent grants: the live work to make room for
	pace           *pace          // spreads bulk requests over the window
	remaining      int
	dailyRemaining int
	dailyLimit     int
	sent, limited  int64
	// lag is how long after being written out we take a request to count
	// at HubSpot: it grows with each burst 429 and shrinks again over
	// windows without one.
	lag      time.Duration
	lagSince time.Time // when lag last changed
	strikes  int       // burst 429s in a row, for the backoff
	struckAt time.Time
}

func (p *portalLimiter) state() GovernorState {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := GovernorState{HubID: p.hubID, Policy: p.policy, PerWindow: p.perWindow, Window: p.window,
		Remaining: p.remaining, DailyRemaining: p.dailyRemaining, DailyLimit: p.dailyLimit, Sent: p.sent, RateLimited: p.limited}
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

// Counted makes every request sent with ctx count into requests, and the
// 429 answers among them into limited (a sync run's cost).
func Counted(ctx context.Context, requests, limited *atomic.Int64) context.Context {
	return context.WithValue(ctx, countKey{}, counters{requests, limited})
}

type countKey struct{}

type counters struct{ requests, limited *atomic.Int64 }

func countRequest(ctx context.Context, status int) {
	c, ok := ctx.Value(countKey{}).(counters)
	if !ok {
		return
	}
	c.requests.Add(1)
	if status == 429 {
		c.limited.Add(1)
	}
}

// Urgent marks ctx's requests as live-lane work (a webhook order, Sync now,
// Retry): the governor serves them before waiting bulk requests and, while
// they keep coming, holds a share of the budget back from bulk work.
func Urgent(ctx context.Context) context.Context { return context.WithValue(ctx, urgentKey{}, true) }

type urgentKey struct{}

func isUrgent(ctx context.Context) bool { v, _ := ctx.Value(urgentKey{}).(bool); return v }

// HurriedWhen puts ctx's requests before other bulk requests while flag is
// set — also those already waiting: a bulk run that a live one waits for
// goes first, within the bulk share of the budget.
func HurriedWhen(ctx context.Context, flag *atomic.Bool) context.Context {
	return context.WithValue(ctx, urgentFlagKey{}, flag)
}

type urgentFlagKey struct{}

func urgentFlag(ctx context.Context) *atomic.Bool {
	v, _ := ctx.Value(urgentFlagKey{}).(*atomic.Bool)
	return v
}

// Ordered gives ctx's requests a place among the waiting ones: lower goes
// first. A sync run passes its start order, so an earlier run's writes —
// which later runs sharing its records wait for — go before a later run's
// reads.
func Ordered(ctx context.Context, seq int64) context.Context {
	return context.WithValue(ctx, seqKey{}, seq)
}

type seqKey struct{}

func seqOf(ctx context.Context) int64 { v, _ := ctx.Value(seqKey{}).(int64); return v }

// While live work arrives, bulk requests leave room for as many urgent
// requests as a window sees at its rate — at least a tenth of it (about ten
// of HubSpot's 110), at most half, so a backfill always moves. Without live
// work bulk requests get the whole budget.
const (
	liveShareMinDiv = 10
	liveShareMaxDiv = 2
	// The live rate is measured over at least a quarter of the window: a
	// single order's burst of calls is not a steady stream.
	liveRateMinDiv = 4
)

// waiter is a request waiting for budget. Its channel is closed when it is
// granted a send (granted) or must look at the portal again (a pause).
type waiter struct {
	urgent  bool
	flag    *atomic.Bool // urgent while set
	seq     int64
	granted bool
	at      time.Time // when granted
	ch      chan struct{}
}

// acquire waits for a paused portal and for room in the window, urgent
// requests first. A pause longer than maxBlock is returned as a
// ClassRateLimit error instead of blocking, so a daily limit parks jobs
// instead of holding a worker for hours. Waiting is never an error and
// never an attempt.
func (p *portalLimiter) acquire(ctx context.Context, op string, maxBlock time.Duration) (sentAt time.Time, err error) {
	urgent, flag, seq := isUrgent(ctx), urgentFlag(ctx), seqOf(ctx)
	for {
		p.mu.Lock()
		now := p.clock.Now()
		if now.Before(p.pausedUntil) {
			until, reason, policy := p.pausedUntil, p.reason, p.policy
			p.mu.Unlock()
			if until.Sub(now) > maxBlock {
				return time.Time{}, pausedError(op, until, reason, policy)
			}
			if err := sleep(ctx, p.clock, until.Sub(now)); err != nil {
				return time.Time{}, networkError(op, err)
			}
			continue
		}
		w := &waiter{urgent: urgent, flag: flag, seq: seq, ch: make(chan struct{})}
		p.resortLocked()
		if p.place(w) == 0 && p.roomFor(w.urgent, now) {
			p.grantLocked(w.urgent, now)
			p.mu.Unlock()
			return now, nil
		}
		p.enqueueLocked(w)
		// Every waiter sleeps on a timer of its own until room may be free
		// for the head of the queue, then grants the queue in order: no
		// goroutine owns the queue, and a waiter's wait is a clock sleep.
		t := p.clock.NewTimer(p.wakeLocked(now).Sub(now))
		p.mu.Unlock()
		granted, err := p.wait(ctx, w, t)
		t.Stop()
		if err != nil {
			return time.Time{}, networkError(op, err)
		}
		if granted {
			return w.at, nil
		}
	}
}

// wait blocks until w is granted (true), must look at a pause (false), or
// ctx ends.
func (p *portalLimiter) wait(ctx context.Context, w *waiter, t clockwork.Timer) (bool, error) {
	for {
		select {
		case <-w.ch:
			return w.granted, nil
		case <-t.Chan():
			p.mu.Lock()
			now := p.clock.Now()
			p.dispatchLocked(now)
			if w.granted {
				p.mu.Unlock()
				return true, nil
			}
			t.Reset(p.wakeLocked(now).Sub(now))
			p.mu.Unlock()
		case <-ctx.Done():
			p.mu.Lock()
			if w.granted {
				// Granted as we gave up: the send is counted, not made.
				p.inflight--
			} else {
				p.removeLocked(w)
			}
			p.mu.Unlock()
			return false, ctx.Err()
		}
	}
}

// place is where w goes in the queue: after the urgent ones for bulk
// work, then by order, then by arrival.
func (p *portalLimiter) place(w *waiter) int {
	return sort.Search(len(p.waiters), func(i int) bool { return w.before(p.waiters[i]) })
}

// rank orders waiters: live work, then hurried bulk work, then the rest.
func (w *waiter) rank() int {
	switch {
	case w.urgent:
		return 0
	case w.flag != nil && w.flag.Load():
		return 1
	}
	return 2
}

func (w *waiter) before(o *waiter) bool {
	if a, b := w.rank(), o.rank(); a != b {
		return a < b
	}
	return w.seq < o.seq
}

// resortLocked puts waiters hurried since they queued in their place.
func (p *portalLimiter) resortLocked() {
	sort.SliceStable(p.waiters, func(i, j int) bool { return p.waiters[i].before(p.waiters[j]) })
}

// keepFor is how much of the window a request must leave free: a share for
// live work from bulk requests while live work arrives. The share is what
// live work would spend in a whole window at the rate it came in so far:
// once bulk requests fill the window, nothing frees until the oldest leave
// it, and live work that only just began would find no room.
func (p *portalLimiter) keepFor(urgent bool, now time.Time) int {
	if urgent {
		return 0
	}
	live := p.urgentSent.current(now)
	if len(live) == 0 {
		return 0
	}
	span := max(now.Sub(live[0]), p.window/liveRateMinDiv)
	need := int(math.Ceil(float64(len(live)) * p.window.Seconds() / span.Seconds()))
	return min(max(need, p.perWindow/liveShareMinDiv), p.perWindow/liveShareMaxDiv)
}

func (p *portalLimiter) grantLocked(urgent bool, now time.Time) {
	p.budget.take(now)
	if urgent {
		p.urgentSent.take(now)
	} else {
		p.pace.take(now)
	}
	p.inflight++
	p.sent++
}

func (p *portalLimiter) enqueueLocked(w *waiter) {
	i := p.place(w)
	p.waiters = append(p.waiters, nil)
	copy(p.waiters[i+1:], p.waiters[i:])
	p.waiters[i] = w
}

func (p *portalLimiter) removeLocked(w *waiter) {
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			return
		}
	}
}

// wakeLocked is when the head of the queue may go: when enough of the
// window is free, or when a pause ends.
func (p *portalLimiter) wakeLocked(now time.Time) time.Time {
	if now.Before(p.pausedUntil) {
		return p.pausedUntil
	}
	urgent := len(p.waiters) > 0 && p.waiters[0].urgent
	at := p.budget.nextFree(now, p.keepFor(urgent, now))
	if !urgent {
		if t := p.pace.ready(now); t.After(at) {
			at = t
		}
	}
	return at
}

// roomFor says whether a request may go now: room in the window beyond
// what is held back for live work, and for bulk work a token of the pace.
func (p *portalLimiter) roomFor(urgent bool, now time.Time) bool {
	if p.budget.free(now) <= p.keepFor(urgent, now) {
		return false
	}
	return urgent || !p.pace.ready(now).After(now)
}

// dispatchLocked grants waiters in queue order while there is room.
func (p *portalLimiter) dispatchLocked(now time.Time) {
	if now.Before(p.pausedUntil) {
		return
	}
	p.resortLocked()
	for len(p.waiters) > 0 {
		w := p.waiters[0]
		if !p.roomFor(w.urgent, now) {
			return
		}
		p.waiters = p.waiters[1:]
		p.grantLocked(w.urgent, now)
		w.granted, w.at = true, now
		close(w.ch)
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

// wrote moves the window's count of a request granted at sentAt to when it
// was written out. HubSpot counts a request when it arrives: a burst sent
// together (a new connection's handshake, bodies of 100 inputs written
// one after the other) arrives spread out, so counting it from the grant
// would free its slots too early, and the next window's burst would be
// refused.
// It returns when the request now counts, for release.
func (p *portalLimiter) wrote(sentAt, at time.Time) time.Time {
	if !at.After(sentAt) {
		return sentAt
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lag > overtake && at.Sub(p.lagSince) > 2*p.window {
		// Two windows without a burst 429: trust arrivals a little more.
		p.lag, p.lagSince = max(p.lag/2, overtake), at
	}
	counted := at.Add(p.lag)
	p.budget.move(sentAt, counted)
	return counted
}

// release ends a request counted at sentAt (as wrote re-dated it, or when
// it was granted) and learns from its response headers (nil
// for transport failures).
func (p *portalLimiter) release(h http.Header, sentAt time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	if h != nil {
		now := p.clock.Now()
		p.observeLocked(h, now, sentAt)
		p.dispatchLocked(now) // a raised limit frees room sooner
	}
}

// observeLocked tunes the budget from X-HubSpot-RateLimit-* headers: Max
// and Interval set the window (less spare); a Remaining lower than our own
// count says someone else spends the portal's budget, so we spend the
// difference too. HubSpot counts a request when it arrives, so Remaining
// is compared with our sends up to this request's (plus those sent just
// after it, which may have overtaken it on the way) — not with what we
// sent while it was answered.
func (p *portalLimiter) observeLocked(h http.Header, now, sentAt time.Time) {
	limit, errMax := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Max"))
	ms, errMs := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
	if errMax == nil && errMs == nil && limit > 0 && ms > 0 {
		per := max(limit-spare, 1)
		window := time.Duration(ms) * time.Millisecond
		if per != p.perWindow || window != p.window {
			p.perWindow, p.window = per, window
			p.budget.setLimit(per, window)
			p.urgentSent.setLimit(per, window)
			p.pace.set(per, window)
		}
	}
	if rem, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining")); err == nil {
		p.remaining = rem
		hubLimit := p.perWindow + spare
		if deficit := (hubLimit - rem) - p.budget.sentBetween(sentAt.Add(-p.window), sentAt.Add(overtake)); deficit >= 1 {
			p.budget.spend(now, deficit)
		}
	}
	if d, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Daily")); err == nil && d > 0 {
		p.dailyLimit = d
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
		// TEN_SECONDLY_ROLLING (or unnamed): HubSpot counted requests we
		// took to have left its window — they reached it later than we
		// thought. Count ours later from now on, and back off from a
		// second up to a whole window, after which the rolling count is
		// surely below the limit.
		if now.Sub(p.struckAt) > p.window {
			p.strikes = 0
		}
		p.strikes++
		p.struckAt = now
		p.lag, p.lagSince = min(max(2*p.lag, overtake), maxLag), now
		until = now.Add(min(firstBackoff<<(p.strikes-1), p.window))
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
	// Waiters look again: a long pause parks their jobs.
	for _, w := range p.waiters {
		close(w.ch)
	}
	p.waiters = nil
}

// nextMidnight is the start of the next day in loc.
func nextMidnight(now time.Time, loc *time.Location) time.Time {
	l := now.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}
