package hubspot

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

const hubEU = 24681357

var allScopes = append(append([]string{}, RequiredScopes...), OptionalScopes...)

type harness struct {
	t     testing.TB
	clock *clockwork.FakeClock // nil when the harness runs on real time
	fake  *hubspotfake.Server
	ts    *httptest.Server
	db    *gorm.DB
	box   *secret.Box
	svc   *Service
	http  *http.Client
}

// newHarness wires a Service to the emulator over real HTTP, both on one
// fake clock. mod may adjust the service options.
func newHarness(t testing.TB, fo hubspotfake.Options, mod func(*Options)) *harness {
	t.Helper()
	fc := clockwork.NewFakeClockAt(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	return newHarnessOn(t, fc, fc, fo, mod)
}

// newHarnessOn is newHarness on any clock (fc is nil for a real one).
func newHarnessOn(t testing.TB, clock clockwork.Clock, fc *clockwork.FakeClock, fo hubspotfake.Options, mod func(*Options)) *harness {
	t.Helper()
	fo.Clock = clock
	fake := hubspotfake.New(fo)
	ts := httptest.NewServer(fake.Handler())
	t.Cleanup(ts.Close)
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	client := ts.Client()
	client.Timeout = 10 * time.Second
	opts := Options{
		DB: db, Box: box, APIBaseURL: ts.URL, AppBaseURL: ts.URL, RedirectURL: "http://localhost:8080/api/hubspot/callback",
		ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), HTTPClient: client, Clock: clock,
		Rand: rand.New(rand.NewPCG(1, 2)), Logger: slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&opts)
	}
	return &harness{t: t, clock: fc, fake: fake, ts: ts, db: db, box: box, svc: NewService(opts), http: client}
}

// connect runs the whole OAuth flow for hubID and returns the portal's client.
func (h *harness) connect(hubID int64) *Client {
	h.t.Helper()
	ctx := context.Background()
	u, err := h.svc.BeginConnect(ctx, "session-1", "/events/x/hubspot")
	if err != nil {
		h.t.Fatal(err)
	}
	redirect, err := hubspotfake.Approve(ctx, h.http, u, hubID)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.CompleteConnect(ctx, "session-1", redirect.Query()); err != nil {
		h.t.Fatal(err)
	}
	c, err := h.svc.Client(ctx, hubID)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// autoAdvance moves the fake clock in small steps whenever something waits
// on it, until the test ends: for tests whose waits are not the subject.
func (h *harness) autoAdvance(step time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	h.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for {
			if err := h.clock.BlockUntilContext(ctx, 1); err != nil {
				return
			}
			h.clock.Advance(step)
		}
	}()
}

func (h *harness) count(endpoint string) int { return h.fake.Stats().Requests[endpoint] }

const tokenEndpoint = "POST /oauth/{version}/token"
