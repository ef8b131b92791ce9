// Package pretixfake is an in-process emulator of the pretix REST API
// (pretix 2025.10 shapes) for tests, benchmarks and the demo: organizers,
// events, catalogue, orders with pagination and modified_since, token auth
// with team permissions, pretix.eu's per-organizer rate limit, fault
// injection, a realistic order generator, run-time order changes and a
// webhook sender with pretix's retry schedule.
package pretixfake

import (
	"math/rand"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Options configure a Server. The zero value is a pretix.eu-like server with
// the 360/minute rate limit and no faults.
type Options struct {
	Clock clockwork.Clock // time for last_modified, X-Page-Generated, rate limit, webhook retries; default real
	Rand  *rand.Rand      // drives fault injection; default seeded with 1

	// PathPrefix emulates an install below a path, e.g. "/pretix".
	PathPrefix string
	// PublicURL is used to build order and download URLs; default "https://pretix.example".
	PublicURL string
	Version   string // reported at /api/v1/version; default "2025.10.0"

	RateLimitPerMinute int  // per organizer account; 0 means pretix.eu's 360
	RateLimitBurst     int  // requests allowed at once; 0 means one second's worth
	NoRateLimit        bool // self-hosted pretix has no rate limit

	Faults Faults

	// LegacyNoOrganizerOrders behaves like pretix before 2023.8: there is no
	// organizer-wide order list (Django's HTML 404) and orders lack "event".
	LegacyNoOrganizerOrders bool

	WebhookTimeout       time.Duration   // default 30 s, as pretix
	WebhookRetrySchedule []time.Duration // default pretix's schedule (5 s … 24 h)
	WebhookNoRetry       bool            // like self-hosted pretix without a Celery worker
	WebhookWorkers       int             // default 2

	// BeforeRequest, when set, is called for every routed request before it
	// is handled; tests use it to change data while a client is paging.
	BeforeRequest func(r *http.Request)
}

// Faults injects infrastructure failures. Rates are fractions in [0,1].
type Faults struct {
	ErrorRate     float64       // answer 500, 502 or 503 with an HTML body
	DropRate      float64       // close the connection without an answer
	MalformedRate float64       // answer 200 with a truncated JSON body
	Latency       time.Duration // added before every answer
}

// Team is a pretix team: the permissions an API token inherits.
type Team struct {
	Name                       string
	AllEvents                  bool
	LimitEvents                []string
	CanViewOrders              bool
	CanChangeEventSettings     bool
	CanChangeOrganizerSettings bool
}

// Server is the emulator. Create it with New; it is safe for concurrent use.
type Server struct {
	opts  Options
	clock clockwork.Clock
	mux   *http.ServeMux

	mu      sync.RWMutex
	idMu    sync.Mutex // guards nextID, which the generator also uses under RLock
	orgs    map[string]*organizer
	tokens  map[string]*tokenRec
	nextID  int64 // instance-wide ids (items, positions, questions, …)
	nextSeq int64
	nextLog int64 // notification ids (log entry primary keys)

	faultMu sync.Mutex
	faults  Faults
	rnd     *rand.Rand

	limiter *rateLimiter
	stats   *stats
	hooks   *webhookSender
}

type tokenRec struct {
	org  string
	team Team
}

type organizer struct {
	Organizer
	events     map[string]*event
	eventOrder []string
	orders     []*storedOrder // creation order: (datetime, seq)
	webhooks   []*Webhook
}

type event struct {
	Event
	settings     EventSettings
	categories   []Category
	items        []Item
	questions    []Question
	checkinLists []CheckinList
	subevents    []SubEvent
	orders       map[string]*storedOrder
}

type storedOrder struct {
	seq int64
	Order
}

// New returns an emulator with no data; seed it with AddOrganizer, AddToken,
// AddEvent, SeedEvent, GenerateOrders ….
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewSource(1))
	}
	if opts.PublicURL == "" {
		opts.PublicURL = "https://pretix.example"
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if opts.Version == "" {
		opts.Version = "2025.10.0"
	}
	opts.PathPrefix = strings.TrimRight(opts.PathPrefix, "/")
	if opts.RateLimitPerMinute <= 0 {
		opts.RateLimitPerMinute = 360
	}
	if opts.RateLimitBurst <= 0 {
		opts.RateLimitBurst = max(1, opts.RateLimitPerMinute/60)
	}
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = 30 * time.Second
	}
	if opts.WebhookRetrySchedule == nil {
		opts.WebhookRetrySchedule = DefaultWebhookRetrySchedule()
	}
	if opts.WebhookWorkers <= 0 {
		opts.WebhookWorkers = 2
	}
	s := &Server{
		opts:   opts,
		clock:  opts.Clock,
		orgs:   map[string]*organizer{},
		tokens: map[string]*tokenRec{},
		nextID: 1000,
		faults: opts.Faults,
		rnd:    opts.Rand,
		stats:  newStats(),
	}
	s.limiter = newRateLimiter(s.clock, opts.RateLimitPerMinute, opts.RateLimitBurst, !opts.NoRateLimit)
	s.hooks = newWebhookSender(s)
	s.routes()
	return s
}

// Handler returns the HTTP handler serving the API.
func (s *Server) Handler() http.Handler { return s.mux }

// Clock returns the clock the emulator uses.
func (s *Server) Clock() clockwork.Clock { return s.clock }

// Close stops the webhook sender (pending retries are dropped) and waits for
// deliveries in flight.
func (s *Server) Close() { s.hooks.close() }

// SetFaults replaces the fault injection settings at run time.
func (s *Server) SetFaults(f Faults) {
	s.faultMu.Lock()
	s.faults = f
	s.faultMu.Unlock()
}

// SetRateLimit changes the per-organizer limit at run time; perMinute <= 0
// switches it off. Buckets restart full.
func (s *Server) SetRateLimit(perMinute, burst int) {
	if burst <= 0 {
		burst = max(1, perMinute/60)
	}
	s.limiter.configure(perMinute, burst, perMinute > 0)
}

// RateLimit reports the limit in force: requests per minute, burst, and
// whether it is on.
func (s *Server) RateLimit() (perMinute, burst int, on bool) { return s.limiter.config() }

// AddOrganizer creates an organizer.
func (s *Server) AddOrganizer(slug, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgs[slug] = &organizer{
		Organizer: Organizer{Name: name, Slug: slug, PublicURL: s.opts.PublicURL + "/" + slug + "/", Plugins: []string{}},
		events:    map[string]*event{},
	}
}

// AddToken creates an API token for a team of the organizer.
func (s *Server) AddToken(org, token string, team Team) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[org]; !ok {
		return errUnknown("organizer", org)
	}
	s.tokens[token] = &tokenRec{org: org, team: team}
	return nil
}

// RemoveToken revokes a token.
func (s *Server) RemoveToken(token string) {
	s.mu.Lock()
	delete(s.tokens, token)
	s.mu.Unlock()
}

func (s *Server) newID() int64 { return s.newIDLocked() }

// insertOrder keeps org.orders sorted by creation time; the caller holds s.mu.
func (o *organizer) insertOrder(so *storedOrder) {
	dt := time.Time(so.Datetime)
	i := sort.Search(len(o.orders), func(i int) bool {
		t := time.Time(o.orders[i].Datetime)
		return t.After(dt) || (t.Equal(dt) && o.orders[i].seq > so.seq)
	})
	o.orders = append(o.orders, nil)
	copy(o.orders[i+1:], o.orders[i:])
	o.orders[i] = so
}

func (s *Server) roll(p float64) bool {
	if p <= 0 {
		return false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.rnd.Float64() < p
}

func (s *Server) currentFaults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults
}
