// Package hubspotfake is an in-process HubSpot emulator for tests, benchmarks
// and the demo. It speaks the date-versioned REST paths, the OAuth consent and
// token endpoints, the batch envelopes, the rate limits and the error bodies
// described in shared/reference/hubspot-api.md, closely enough that the real
// client cannot tell the difference on the paths it uses.
package hubspotfake

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Options configure a Server. The zero value gives one OAuth app, two
// portals, HubSpot's limits (110 requests per rolling 10 s) and no faults.
type Options struct {
	Clock clockwork.Clock // drives token expiry, rate windows and latency; default real time
	Seed  uint64          // seeds ids, tokens and fault draws; same seed, same run

	ClientID     string   // default "fake-client-id"
	ClientSecret string   // default "fake-client-secret"
	AppID        int64    // default 4242
	AppName      string   // shown on the consent page; default "pretix"
	RedirectURIs []string // allowed redirect URIs; empty allows any http(s) URI
	// RequiredScopes, when set, must equal the authorize request's scope
	// parameter (as a set), as HubSpot's app configuration demands.
	RequiredScopes []string
	UserEmail      string // the installing user; default "admin@example.org"

	Portals        []Portal      // default: DefaultPortals()
	AccessTokenTTL time.Duration // default 30 min, as HubSpot today
	CodeTTL        time.Duration // authorization-code lifetime; default 10 min

	StaticTokens []StaticToken // service keys / private-app tokens accepted as Bearer
	RateLimit    RateLimit
	Faults       Faults
	Latency      Latency  // off by default; RealisticLatency for benchmarks and the demo
	Versions     []string // accepted date versions; default 2026-03 and 2026-09
}

// Portal is one HubSpot account the emulator hosts.
type Portal struct {
	ID                   int64
	Name                 string
	Domain               string // hub_domain in introspection
	UIDomain             string // default app.hubspot.com
	TimeZone             string // IANA name; default UTC
	Currency             string // default EUR
	AdditionalCurrencies []string
	AccountType          string // default STANDARD
	DataHostingLocation  string // default na1
	// UnavailableScopes are optional scopes this portal cannot grant (a
	// product it lacks); they are dropped silently at install.
	UnavailableScopes []string
}

// StaticToken is a bearer token that never expires, bound to one portal.
type StaticToken struct {
	Token  string
	HubID  int64
	Scopes []string
}

// RateLimit configures the per-portal limits. The zero value is HubSpot's
// burst limit for public apps and no daily limit.
type RateLimit struct {
	Off    bool          // no limiting at all (headers are still sent)
	Max    int           // requests per rolling window; default 110
	Window time.Duration // default 10 s
	Daily  int           // requests per portal-local day; 0 = unlimited
}

// Faults configure injected failures on API paths (not OAuth). Rates are
// probabilities per request, drawn from the seeded random source.
type Faults struct {
	ServerErrorRate float64 // 500/502/503/504
	LockedRate      float64 // 423 Locked
	ResetRate       float64 // connection reset, before or after the request is applied
	RateLimitRate   float64 // a spurious 429 TEN_SECONDLY_ROLLING
	LatencyRate     float64 // share of requests delayed by Latency
	// SlowRate is the share of requests that are applied and then answered
	// only after Slow: longer than a client waits, so it gives up on a
	// write that happened, the hazard a timeout brings.
	SlowRate float64
	Slow     time.Duration
	Latency  time.Duration // waited on Options.Clock
}

// DefaultPortals returns the two accounts the consent page offers by default.
func DefaultPortals() []Portal {
	return []Portal{
		{ID: 24681357, Name: "pretix Demo GmbH", Domain: "pretix-demo.example", UIDomain: "app-eu1.hubspot.com", TimeZone: "Europe/Berlin", Currency: "EUR", AdditionalCurrencies: []string{"CHF"}, DataHostingLocation: "eu1"},
		{ID: 13579246, Name: "Example Events Inc.", Domain: "example-events.example", UIDomain: "app.hubspot.com", TimeZone: "America/New_York", Currency: "USD", DataHostingLocation: "na1"},
	}
}

// Server is the emulator. All state sits behind one mutex: the emulator is
// about faithful behaviour, not throughput.
type Server struct {
	opts  Options
	clock clockwork.Clock
	mux   *http.ServeMux

	mu       sync.Mutex
	rnd      *rand.Rand
	seq      uint64
	portals  map[int64]*portal
	order    []int64
	pending  map[string]*authRequest
	codes    map[string]*authCode
	access   map[string]*accessToken
	grants   map[string]*grant // by refresh token
	static   map[string]StaticToken
	stats    Stats
	versions map[string]bool
	rules    map[int64][]ValidationRule // by portal
	latency  *latencyModel
}

// New builds an emulator.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.ClientID == "" {
		opts.ClientID = "fake-client-id"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "fake-client-secret"
	}
	if opts.AppID == 0 {
		opts.AppID = 4242
	}
	if opts.AppName == "" {
		opts.AppName = "pretix"
	}
	if opts.UserEmail == "" {
		opts.UserEmail = "admin@example.org"
	}
	if opts.Portals == nil {
		opts.Portals = DefaultPortals()
	}
	if opts.AccessTokenTTL == 0 {
		opts.AccessTokenTTL = 30 * time.Minute
	}
	if opts.CodeTTL == 0 {
		opts.CodeTTL = 10 * time.Minute
	}
	if len(opts.Versions) == 0 {
		opts.Versions = []string{"2026-03", "2026-09"}
	}
	s := &Server{
		opts:     opts,
		clock:    opts.Clock,
		latency:  newLatencyModel(opts.Latency),
		rnd:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		portals:  map[int64]*portal{},
		pending:  map[string]*authRequest{},
		codes:    map[string]*authCode{},
		access:   map[string]*accessToken{},
		grants:   map[string]*grant{},
		static:   map[string]StaticToken{},
		versions: map[string]bool{}, rules: map[int64][]ValidationRule{},
	}
	s.resetStatsLocked()
	for _, v := range opts.Versions {
		s.versions[v] = true
	}
	for _, p := range opts.Portals {
		s.addPortalLocked(p)
	}
	for _, t := range opts.StaticTokens {
		s.static[t.Token] = t
	}
	s.routes()
	return s
}

// Handler returns the emulator's HTTP handler; serve it with httptest.NewServer.
func (s *Server) Handler() http.Handler { return s.mux }

// AddPortal adds (or replaces) an account.
func (s *Server) AddPortal(p Portal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPortalLocked(p)
}

func (s *Server) addPortalLocked(p Portal) {
	if p.UIDomain == "" {
		p.UIDomain = "app.hubspot.com"
	}
	if p.TimeZone == "" {
		p.TimeZone = "UTC"
	}
	if p.Currency == "" {
		p.Currency = "EUR"
	}
	if p.AccountType == "" {
		p.AccountType = "STANDARD"
	}
	if p.DataHostingLocation == "" {
		p.DataHostingLocation = "na1"
	}
	if p.Name == "" {
		p.Name = fmt.Sprintf("Portal %d", p.ID)
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		panic(fmt.Sprintf("hubspotfake: portal %d: time zone %q: %v", p.ID, p.TimeZone, err))
	}
	if _, exists := s.portals[p.ID]; !exists {
		s.order = append(s.order, p.ID)
	}
	s.portals[p.ID] = newPortal(p, loc, s.clock.Now())
}

// SetFaults replaces the fault configuration.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Faults = f
}

// SetRateLimit replaces the rate-limit configuration; counts so far are kept.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.RateLimit = rl
}

// LeaveDaily sets the daily limit so that a portal has left requests
// today (the daily headers go to private-app tokens only).
func (s *Server) LeaveDaily(hubID int64, left int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.RateLimit.Daily = s.portalLocked(hubID).dayCount + left
}

// SetLatency replaces the latency model (the zero value answers at once).
func (s *Server) SetLatency(l Latency) { s.latency.set(l) }

// AddStaticToken registers a service key / private-app token.
func (s *Server) AddStaticToken(t StaticToken) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.static[t.Token] = t
}

// ClientID returns the OAuth app's client id.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret returns the OAuth app's client secret.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// randHex returns n random hex digits for tokens, codes and correlation ids.
func (s *Server) randHex(n int) string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hexdigits[s.rnd.IntN(16)]
	}
	return string(b)
}

// correlationID looks like HubSpot's (a UUID) and is unique per response.
func (s *Server) correlationID() string {
	s.seq++
	return fmt.Sprintf("%s-%s-4%s-8%s-%012x", s.randHex(8), s.randHex(4), s.randHex(3), s.randHex(3), s.seq)
}
