package pretix

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
)

const (
	testToken = "tok-4f8a9c2e7b1d"
	testOrg   = "acme"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type emu struct {
	fake *pretixfake.Server
	http *httptest.Server
}

// newEmu starts an emulator with organizer "acme" (token testToken with all
// permissions), events "conf" and "series", and n orders in "conf".
func newEmu(t testing.TB, opts pretixfake.Options, n int) *emu {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = clockwork.NewFakeClockAt(t0)
	}
	f := pretixfake.New(opts)
	t.Cleanup(f.Close)
	f.AddOrganizer(testOrg, "ACME Events")
	if err := f.AddToken(testOrg, testToken, pretixfake.Team{AllEvents: true, CanViewOrders: true, CanChangeEventSettings: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.SeedEvent(testOrg, "conf", pretixfake.EventSpec{Name: pretixfake.LocalizedString{"en": "Conf", "de": "Konferenz"}, Locales: []string{"en", "de"}, NameScheme: "title_given_middle_family"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SeedEvent(testOrg, "series", pretixfake.EventSpec{HasSubevents: true}); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		if _, err := f.GenerateOrders(testOrg, "conf", n, rand.New(rand.NewSource(11))); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(f.Handler())
	t.Cleanup(hs.Close)
	return &emu{fake: f, http: hs}
}

// fastClient is a client without pacing and with millisecond back-off.
func fastClient(t testing.TB, base string, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{
		WithOrganizer(testOrg),
		WithLimiter(NewLimiter(0, nil)),
		WithRetry(4, time.Millisecond, 5*time.Millisecond),
		WithRand(rand.New(rand.NewSource(1))),
		WithLogger(quietLog),
	}, opts...)
	c, err := NewClient(base, testToken, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// advanceWhileBlocked moves a fake clock forward whenever someone waits on
// it, until stop is closed; it drives retries and rate-limit waits.
func advanceWhileBlocked(fc *clockwork.FakeClock, step time.Duration) (stop func()) {
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
