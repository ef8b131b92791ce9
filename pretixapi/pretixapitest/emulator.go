// Package pretixapitest starts the pretix emulator the way the tests of the
// API client and of the store need it, and builds clients that do not pace.
package pretixapitest

import (
	"context"
	"io"
	"log/slog"
	"math/rand"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/pretixapi"
)

// The emulator's organizer and its token (every permission).
const (
	Token = "tok-4f8a9c2e7b1d"
	Org   = "acme"
)

// QuietLog discards everything.
var QuietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// T0 is the emulator clock's start.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Emu is a running emulator.
type Emu struct {
	Fake *pretixfake.Server
	HTTP *httptest.Server
}

// NewEmu starts an emulator with organizer Org (token Token with all
// permissions), events "conf" and "series", and n orders in "conf".
func NewEmu(t testing.TB, opts pretixfake.Options, n int) *Emu {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = clockwork.NewFakeClockAt(T0)
	}
	f := pretixfake.New(opts)
	t.Cleanup(f.Close)
	f.AddOrganizer(Org, "ACME Events")
	if err := f.AddToken(Org, Token, pretixfake.Team{AllEvents: true, CanViewOrders: true, CanChangeEventSettings: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.SeedEvent(Org, "conf", pretixfake.EventSpec{Name: pretixfake.LocalizedString{"en": "Conf", "de": "Konferenz"}, Locales: []string{"en", "de"}, NameScheme: "title_given_middle_family"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SeedEvent(Org, "series", pretixfake.EventSpec{HasSubevents: true}); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		if _, err := f.GenerateOrders(Org, "conf", n, rand.New(rand.NewSource(11))); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(f.Handler())
	t.Cleanup(hs.Close)
	return &Emu{Fake: f, HTTP: hs}
}

// FastClient is a client for Org without pacing and with millisecond
// back-off.
func FastClient(t testing.TB, base string, opts ...pretixapi.Option) *pretixapi.Client {
	t.Helper()
	all := append([]pretixapi.Option{
		pretixapi.WithOrganizer(Org),
		pretixapi.WithLimiter(pretixapi.NewLimiter(0, nil)),
		pretixapi.WithRetry(4, time.Millisecond, 5*time.Millisecond),
		pretixapi.WithRand(rand.New(rand.NewSource(1))),
		pretixapi.WithLogger(QuietLog),
	}, opts...)
	c, err := pretixapi.NewClient(base, Token, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// AdvanceWhileBlocked moves a fake clock forward whenever someone waits on
// it, until stop is called; it drives retries and rate-limit waits.
func AdvanceWhileBlocked(fc *clockwork.FakeClock, step time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := fc.BlockUntilContext(ctx, 1); err != nil {
				return
			}
			fc.Advance(step)
		}
	}()
	return func() { cancel(); <-done }
}
