package hubspotfake

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// callCtx is what an API handler knows about the authenticated call.
type callCtx struct {
	portal     *portal
	scopes     map[string]bool
	static     bool // service key / private-app token rather than OAuth
	objectType string
	toType     string
	body       []byte
	version    string    // the date version in the path
	arrived    time.Time // when the whole request had come in: what the rate limit counts
}

// requireAnyScope returns HubSpot's 403 MISSING_SCOPES body unless the token
// holds at least one of scopes.
func (c *callCtx) requireAnyScope(scopes ...string) *apiError {
	for _, sc := range scopes {
		if c.scopes[sc] {
			return nil
		}
	}
	return missingScopes(scopes)
}

// requireAllScopes is requireAnyScope for calls that need every scope (associations
// need both sides' object scopes).
func (c *callCtx) requireAllScopes(scopes ...string) *apiError {
	var missing []string
	for _, sc := range scopes {
		if !c.scopes[sc] {
			missing = append(missing, sc)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return missingScopes(missing)
}

func missingScopes(scopes []string) *apiError {
	e := newAPIError(http.StatusForbidden, "MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.")
	e.body.Errors = []errorDetail{{Message: "One or more of the following scopes are required.", Context: map[string][]string{"requiredScopes": scopes}}}
	e.body.Links = map[string]string{"scopes": "https://developers.hubspot.com/scopes"}
	return e
}

type apiHandler func(w http.ResponseWriter, r *http.Request, c *callCtx)

// Stats counts requests, for tests and benchmarks.
type Stats struct {
	Total       int            // every request that reached the emulator
	Requests    map[string]int // by endpoint, e.g. "POST /crm/objects/{version}/contacts/batch/upsert"
	Statuses    map[int]int    // by response status (resets count as 0)
	RateLimited int            // 429s from the limits (not injected ones)
	Faults      int            // injected faults of any kind
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Total: s.stats.Total, RateLimited: s.stats.RateLimited, Faults: s.stats.Faults,
		Requests: map[string]int{}, Statuses: map[int]int{}}
	for k, v := range s.stats.Requests {
		out.Requests[k] = v
	}
	for k, v := range s.stats.Statuses {
		out.Statuses[k] = v
	}
	return out
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetStatsLocked()
}

func (s *Server) resetStatsLocked() {
	s.stats = Stats{Requests: map[string]int{}, Statuses: map[int]int{}}
}

// endpointKey names the endpoint of a request: the route pattern with the
// object types filled in.
func endpointKey(pattern string, r *http.Request) string {
	k := pattern
	for _, name := range []string{"type", "toType"} {
		if v := r.PathValue(name); v != "" {
			if canon, ok := objectTypes[v]; ok {
				v = canon
			}
			k = strings.Replace(k, "{"+name+"}", v, 1)
		}
	}
	return k
}

type faultKind int

const (
	faultNone faultKind = iota
	faultServerError
	faultLocked
	faultResetBefore
	faultResetAfter
	faultRateLimit
	faultSlowAfter
)

type fault struct {
	kind    faultKind
	status  int
	latency time.Duration
}

// drawFault decides this request's fate; s.mu must be held.
func (s *Server) drawFault() fault {
	f := s.opts.Faults
	var out fault
	if f.LatencyRate > 0 && s.rnd.Float64() < f.LatencyRate {
		out.latency = f.Latency
	}
	total := f.ServerErrorRate + f.LockedRate + f.ResetRate + f.RateLimitRate + f.SlowRate
	if total <= 0 {
		return out
	}
	u := s.rnd.Float64()
	switch {
	case u < f.ServerErrorRate:
		out.kind = faultServerError
		out.status = []int{500, 502, 503, 504}[s.rnd.IntN(4)]
	case u < f.ServerErrorRate+f.LockedRate:
		out.kind = faultLocked
	case u < f.ServerErrorRate+f.LockedRate+f.ResetRate:
		// Half the resets happen after the write was applied: the hazard a
		// client must survive without creating duplicates.
		out.kind = faultResetBefore
		if s.rnd.IntN(2) == 1 {
			out.kind = faultResetAfter
		}
	case u < f.ServerErrorRate+f.LockedRate+f.ResetRate+f.RateLimitRate:
		out.kind = faultRateLimit
	case u < total:
		out.kind = faultSlowAfter
	}
	return out
}

// page registers an OAuth or consent route: counted, never faulted or limited.
func (s *Server) page(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		s.mu.Lock()
		s.stats.Total++
		s.stats.Requests[endpointKey(pattern, r)]++
		s.stats.Statuses[sw.code()]++
		s.mu.Unlock()
	})
}

// api registers a CRM route behind faults, authentication and rate limits.
func (s *Server) api(pattern string, h apiHandler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<20))
		arrived := s.clock.Now()
		s.mu.Lock()
		s.stats.Total++
		s.stats.Requests[endpointKey(pattern, r)]++
		f := s.drawFault()
		if f.kind != faultNone {
			s.stats.Faults++
		}
		s.mu.Unlock()
		if f.latency > 0 {
			t := s.clock.NewTimer(f.latency)
			select {
			case <-t.Chan():
			case <-r.Context().Done():
				t.Stop()
				return
			}
			arrived = s.clock.Now() // a slow way there
		}
		if f.kind == faultResetBefore {
			s.countStatus(0)
			resetConn(w)
			return
		}
		var out http.ResponseWriter = w
		var held *heldWriter
		wait := s.latency.draw(pattern, body)
		switch {
		case f.kind == faultResetAfter:
			out = discardWriter{h: http.Header{}}
		case f.kind == faultSlowAfter:
			held = &heldWriter{h: http.Header{}}
			out = held
			wait += s.opts.Faults.Slow
		case wait > 0:
			held = &heldWriter{h: http.Header{}}
			out = held
		}
		sw := &statusWriter{ResponseWriter: out}
		s.mu.Lock()
		if err != nil {
			s.writeError(sw, badRequest("The request body could not be read: "+err.Error()))
		} else {
			s.serveAPI(sw, r, f, body, arrived, h)
		}
		status := sw.code()
		if f.kind == faultResetAfter {
			status = 0
		}
		s.stats.Statuses[status]++
		s.mu.Unlock()
		if f.kind == faultResetAfter {
			resetConn(w)
		}
		if held != nil {
			// Applied already; the answer takes its time (and, for a slow
			// fault, comes too late for most clients).
			t := s.clock.NewTimer(wait)
			select {
			case <-t.Chan():
				held.sendTo(w)
			case <-r.Context().Done():
				t.Stop()
			}
		}
	})
}

// heldWriter keeps an answer to send later.
type heldWriter struct {
	h      http.Header
	status int
	body   []byte
}

func (b *heldWriter) Header() http.Header         { return b.h }
func (b *heldWriter) Write(p []byte) (int, error) { b.body = append(b.body, p...); return len(p), nil }
func (b *heldWriter) WriteHeader(code int)        { b.status = code }

func (b *heldWriter) sendTo(w http.ResponseWriter) {
	for k, v := range b.h {
		w.Header()[k] = v
	}
	if b.status != 0 {
		w.WriteHeader(b.status)
	}
	w.Write(b.body)
}

func (s *Server) countStatus(code int) {
	s.mu.Lock()
	s.stats.Statuses[code]++
	s.mu.Unlock()
}

// serveAPI runs the checks HubSpot runs before a handler; s.mu is held.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, f fault, body []byte, arrived time.Time, h apiHandler) {
	if v := r.PathValue("version"); !s.versions[v] {
		s.writeError(w, notFoundError(fmt.Sprintf("API version %q is not supported; use one of the date versions such as 2026-03", v)))
		return
	}
	switch f.kind {
	case faultServerError:
		e := newAPIError(f.status, "", http.StatusText(f.status))
		s.writeError(w, e)
		return
	case faultLocked:
		s.writeError(w, newAPIError(http.StatusLocked, "LOCKED", "The record is locked by another write in progress; retry in a few seconds."))
		return
	}
	c, e := s.authenticate(r)
	if e != nil {
		s.writeError(w, e)
		return
	}
	c.body = body
	c.version = r.PathValue("version")
	c.arrived = arrived
	if f.kind == faultRateLimit {
		s.writeRateLimitHeaders(w, c, s.clock.Now())
		s.writeError(w, rateLimitError("TEN_SECONDLY_ROLLING"))
		return
	}
	if e := s.admit(w, c); e != nil {
		s.stats.RateLimited++
		s.writeError(w, e)
		return
	}
	if v := r.PathValue("type"); v != "" {
		ot, ok := objectTypes[v]
		if !ok {
			s.writeError(w, badRequest("Unable to infer object type from: "+v))
			return
		}
		c.objectType = ot
	}
	if v := r.PathValue("toType"); v != "" {
		ot, ok := objectTypes[v]
		if !ok {
			s.writeError(w, badRequest("Unable to infer object type from: "+v))
			return
		}
		c.toType = ot
	}
	h(w, r, c)
}

// authenticate resolves the bearer token; s.mu is held.
func (s *Server) authenticate(r *http.Request) (*callCtx, *apiError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return nil, invalidAuth()
	}
	now := s.clock.Now()
	if at, found := s.access[tok]; found {
		pt := s.portals[at.hub]
		if pt == nil || !pt.installed {
			return nil, invalidAuth()
		}
		if !now.Before(at.expires) {
			ago := int(now.Sub(at.expires).Seconds())
			e := newAPIError(http.StatusUnauthorized, "EXPIRED_AUTHENTICATION",
				fmt.Sprintf("The OAuth token used to make this call expired %d second(s) ago.", ago))
			return nil, e
		}
		return &callCtx{portal: pt, scopes: setOf(at.scopes)}, nil
	}
	if st, found := s.static[tok]; found {
		pt := s.portals[st.HubID]
		if pt == nil {
			return nil, invalidAuth()
		}
		return &callCtx{portal: pt, scopes: setOf(st.Scopes), static: true}, nil
	}
	return nil, invalidAuth()
}

func invalidAuth() *apiError {
	return newAPIError(http.StatusUnauthorized, "INVALID_AUTHENTICATION",
		"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// statusWriter remembers the status code and lets http.ResponseController
// reach the connection underneath.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// discardWriter swallows a response that will never be delivered.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// resetConn drops the TCP connection with a RST, as a flaky network would.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
