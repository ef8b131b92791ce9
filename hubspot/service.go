package hubspot

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

// Options configure a Service. DB and Box are required.
type Options struct {
	DB  *gorm.DB
	Box *secret.Box

	APIBaseURL string // default DefaultAPIBaseURL
	AppBaseURL string // default DefaultAppBaseURL (the consent pages)
	// RecordLinksToAppBase points record links at AppBaseURL instead of the
	// portal's HubSpot UI: for a HubSpot emulator, whose record pages answer
	// them (the demo, the browser tests).
	RecordLinksToAppBase bool
	// RedirectURL is the OAuth callback registered on the HubSpot app, e.g.
	// http://localhost:8080/api/hubspot/callback.
	RedirectURL string
	// ClientID and ClientSecret, when set (environment), win over the app
	// settings stored in the database.
	ClientID     string
	ClientSecret string

	HTTPClient *http.Client    // default: 30 s timeout
	Clock      clockwork.Clock // default: real time
	Rand       *rand.Rand      // backoff jitter; default randomly seeded
	Logger     *slog.Logger    // default: slog.Default()
	Governor   *Governor       // default: a new one on Clock
	States     *StateStore     // default: a new one on Clock
	Retry      RetryPolicy
	// PropertyTTL is how long property definitions stay cached; default 10 min.
	PropertyTTL time.Duration
	// NoHedging turns off the second send of slow live calls: for tests on
	// a fake clock that jumps ahead whenever something waits on it, where
	// a hedge's timer would always beat the network's answer.
	NoHedging bool
	// OnRequest, when set, learns about every request sent to HubSpot (op
	// as in messages, e.g. "batch upsert deals"; status 0 when no answer
	// came), for metrics; it must not block.
	OnRequest func(hubID int64, op string, status int, took time.Duration)
	// OnActivated, when set, is told each time an event is linked to an
	// active connection.
	OnActivated func(ctx context.Context, eventID int64) error
}

// RetryPolicy bounds the retries inside one call. Rate-limit waits are not
// attempts and are bounded separately.
type RetryPolicy struct {
	MaxAttempts       int           // tries per call for temporary failures; default 4
	BaseDelay         time.Duration // first backoff; default 500 ms, doubling
	MaxDelay          time.Duration // backoff cap; default 8 s
	LockedDelay       time.Duration // minimum wait after a 423; default 2 s
	MaxBlock          time.Duration // longest pause waited inside a call; longer ones return ClassRateLimit; default 30 s
	MaxRateLimitWaits int           // 429s absorbed per call; default 10
}

func (r RetryPolicy) withDefaults() RetryPolicy {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 4
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = 500 * time.Millisecond
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 8 * time.Second
	}
	if r.LockedDelay <= 0 {
		r.LockedDelay = 2 * time.Second
	}
	if r.MaxBlock <= 0 {
		r.MaxBlock = 30 * time.Second
	}
	if r.MaxRateLimitWaits <= 0 {
		r.MaxRateLimitWaits = 10
	}
	return r
}

// Service is the process-wide HubSpot entry point.
type Service struct {
	opts     Options
	store    *Store
	tokens   *tokenManager
	governor *Governor
	states   *StateStore
	clock    clockwork.Clock
	http     *http.Client
	log      *slog.Logger

	randMu sync.Mutex
	rnd    *rand.Rand

	propMu    sync.Mutex
	props     map[propKey]propEntry
	propsLoad singleflight.Group

	hedger *hedger
}

// NewService builds a Service.
func NewService(opts Options) *Service {
	if opts.APIBaseURL == "" {
		opts.APIBaseURL = DefaultAPIBaseURL
	}
	if opts.AppBaseURL == "" {
		opts.AppBaseURL = DefaultAppBaseURL
	}
	opts.APIBaseURL = strings.TrimRight(opts.APIBaseURL, "/")
	opts.AppBaseURL = strings.TrimRight(opts.AppBaseURL, "/")
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rand == nil {
		var seed [16]byte
		_, _ = crand.Read(seed[:])
		opts.Rand = rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	}
	if opts.Governor == nil {
		opts.Governor = NewGovernor(opts.Clock)
	}
	if opts.States == nil {
		opts.States = NewStateStore(opts.Clock, nil)
	}
	if opts.PropertyTTL <= 0 {
		opts.PropertyTTL = 10 * time.Minute
	}
	opts.Retry = opts.Retry.withDefaults()
	s := &Service{
		opts: opts, store: NewStore(opts.DB, opts.Box, opts.Clock), governor: opts.Governor, states: opts.States,
		clock: opts.Clock, http: opts.HTTPClient, log: opts.Logger, rnd: opts.Rand, props: map[propKey]propEntry{},
		hedger: newHedger(),
	}
	s.tokens = &tokenManager{store: s.store, oauth: s.OAuth, clock: s.clock, log: s.log}
	return s
}

// Store returns the connection store.
func (s *Service) Store() *Store { return s.store }

// Governor returns the rate-limit governor (for its per-portal State).
func (s *Service) Governor() *Governor { return s.governor }

// States returns the OAuth state store.
func (s *Service) States() *StateStore { return s.states }

// OAuth returns the OAuth helper with the current credentials: the
// environment's when set, else the app settings'.
func (s *Service) OAuth(ctx context.Context) (*OAuth, error) {
	id, sec := s.opts.ClientID, s.opts.ClientSecret
	if id == "" || sec == "" {
		var err error
		id, sec, err = s.store.AppCredentials(ctx)
		if err != nil {
			return nil, err
		}
	}
	if id == "" || sec == "" {
		return nil, apperr.Invalid("hubspot_app_not_configured",
			"The HubSpot app's client ID and secret are not set. Enter them in the app settings (or the environment), then try again.")
	}
	return NewOAuth(OAuthConfig{
		ClientID: id, ClientSecret: sec, RedirectURL: s.opts.RedirectURL,
		AppBaseURL: s.opts.AppBaseURL, APIBaseURL: s.opts.APIBaseURL, HTTPClient: s.http, Clock: s.clock,
	}), nil
}

// Connection returns a portal's connection.
func (s *Service) Connection(ctx context.Context, hubID int64) (*Connection, error) {
	return s.store.Connection(ctx, hubID)
}

// Connections lists every connection.
func (s *Service) Connections(ctx context.Context) ([]Connection, error) {
	return s.store.Connections(ctx)
}

// Client returns the API client of a connected portal. It fails with a
// ClassConfig error when the connection needs reconnecting or was removed.
func (s *Service) Client(ctx context.Context, hubID int64) (*Client, error) {
	c, err := s.store.Connection(ctx, hubID)
	if err != nil {
		return nil, err
	}
	if c.State != models.HubSpotStateActive {
		return nil, needsReconnect(hubID, c.StateReason)
	}
	s.governor.SetTimeZone(hubID, c.Location())
	return s.newClient(hubID, portalTokens{m: s.tokens, hubID: hubID}), nil
}

func (s *Service) newClient(hubID int64, ts tokenSource) *Client {
	return &Client{svc: s, hubID: hubID, tokens: ts, limiter: s.governor.portal(hubID)}
}

// jitter returns a random duration in [d/2, d).
func (s *Service) jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return d/2 + time.Duration(s.rnd.Int64N(int64(d/2)))
}
