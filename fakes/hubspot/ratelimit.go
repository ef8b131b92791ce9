package hubspotfake

import (
	"net/http"
	"sort"
	"strconv"
	"time"
)

func (s *Server) limits() (limit int, window time.Duration) {
	rl := s.opts.RateLimit
	limit, window = rl.Max, rl.Window
	if limit <= 0 {
		limit = 110
	}
	if window <= 0 {
		window = 10 * time.Second
	}
	return limit, window
}

// prune drops requests that can no longer be in anyone's window (a
// request counts from its arrival, which may be a little before now) and
// rolls the day over at the portal's local midnight.
func (s *Server) prune(pt *portal, now time.Time) {
	_, window := s.limits()
	cut := 0
	for cut < len(pt.window) && !pt.window[cut].After(now.Add(-2*window)) {
		cut++
	}
	pt.window = pt.window[cut:]
	if day := now.In(pt.loc).Format("2006-01-02"); day != pt.dayKey {
		pt.dayKey, pt.dayCount = day, 0
	}
}

// inWindow counts the requests that arrived in the window ending at at —
// and those that arrived after it but were admitted first: requests are
// admitted one by one, not quite in arrival order, and of the two
// readings this is the stricter.
func (s *Server) inWindow(pt *portal, at time.Time) int {
	_, window := s.limits()
	lo := sort.Search(len(pt.window), func(i int) bool { return pt.window[i].After(at.Add(-window)) })
	return len(pt.window) - lo
}

// admit counts the request against the portal's limits or refuses it with
// HubSpot's 429 body; s.mu is held. A request counts from when it arrived
// (c.arrived), not from when the emulator got to it: its lock must not
// bunch arrivals up. HubSpot does not say whether a refused request
// counts; we take the stricter reading: every request that reaches the
// portal counts, refused or not, so a client that keeps knocking stays
// locked out.
func (s *Server) admit(w http.ResponseWriter, c *callCtx) *apiError {
	now := s.clock.Now()
	at := c.arrived
	if at.IsZero() || at.After(now) {
		at = now
	}
	pt := c.portal
	s.prune(pt, now)
	rl := s.opts.RateLimit
	limit, _ := s.limits()
	var refused *apiError
	if !rl.Off {
		switch {
		case rl.Daily > 0 && pt.dayCount >= rl.Daily:
			refused = rateLimitError("DAILY")
		case s.inWindow(pt, at) >= limit:
			refused = rateLimitError("TEN_SECONDLY_ROLLING")
		}
	}
	i := sort.Search(len(pt.window), func(i int) bool { return pt.window[i].After(at) })
	pt.window = append(pt.window, time.Time{})
	copy(pt.window[i+1:], pt.window[i:])
	pt.window[i] = at
	pt.dayCount++
	s.writeRateLimitHeaders(w, c, at)
	return refused
}

// writeRateLimitHeaders sends the X-HubSpot-RateLimit-* headers. Daily
// headers go to static tokens only: HubSpot does not send them for OAuth.
func (s *Server) writeRateLimitHeaders(w http.ResponseWriter, c *callCtx, now time.Time) {
	limit, window := s.limits()
	remaining := max0(limit - s.inWindow(c.portal, now))
	if s.opts.RateLimit.Off {
		remaining = limit
	}
	h := w.Header()
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(limit))
	h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(window.Milliseconds(), 10))
	if c.static && s.opts.RateLimit.Daily > 0 {
		h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(s.opts.RateLimit.Daily))
		h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max0(s.opts.RateLimit.Daily-c.portal.dayCount)))
	}
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

func rateLimitError(policy string) *apiError {
	msg := map[string]string{
		"DAILY":                "You have reached your daily limit.",
		"SECONDLY":             "You have reached your secondly limit.",
		"TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
	}[policy]
	e := newAPIError(http.StatusTooManyRequests, "RATE_LIMITS", msg)
	e.body.ErrorType = "RATE_LIMIT"
	e.body.PolicyName = policy
	return e
}
