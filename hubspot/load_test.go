package hubspot

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	hubspotfake "pretix-hubspot/fakes/hubspot"
)

// loadReport is what a sustained-load run measured on the emulator.
type loadReport struct {
	accepted          int // 2xx answers
	limited           int // 429s from the emulator's limits
	limitedAfterFirst int // of those, after the first window
	perClient         []int64
	errors            int64
	duration          time.Duration
}

// utilisation is the share of HubSpot's 110 per 10 s that was used.
func (r loadReport) utilisation(max int, window time.Duration) float64 {
	return float64(r.accepted) / (float64(max) * r.duration.Seconds() / window.Seconds())
}

// runLoad keeps workersPerClient callers per client busy with batch calls
// for dur of fake time. The clock only moves when every caller waits on it,
// so HTTP round trips take no fake time and the measure is the governor's
// pacing alone.
func runLoad(tb testing.TB, h *harness, clients []*Client, workersPerClient int, dur, step time.Duration) loadReport {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.fake.SeedRecord(hubEU, "contacts", map[string]string{"email": "load@example.org"})
	h.fake.ResetStats()
	start := h.clock.Now()
	end := start.Add(dur)
	rep := loadReport{perClient: make([]int64, len(clients)), duration: dur}
	var active atomic.Int64
	var wg sync.WaitGroup
	for ci, cl := range clients {
		for w := 0; w < workersPerClient; w++ {
			active.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer active.Add(-1)
				for h.clock.Now().Before(end) {
					if _, err := cl.BatchRead(ctx, Contacts, "email", []string{"load@example.org"}, []string{"firstname"}); err != nil {
						atomic.AddInt64(&rep.errors, 1)
						if ctx.Err() != nil {
							return
						}
						continue
					}
					atomic.AddInt64(&rep.perClient[ci], 1)
				}
			}()
		}
	}
	firstWindowLimited := -1
	for active.Load() > 0 {
		bctx, bcancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := h.clock.BlockUntilContext(bctx, int(active.Load()))
		bcancel()
		if err != nil {
			continue
		}
		h.clock.Advance(step)
		if firstWindowLimited < 0 && !h.clock.Now().Before(start.Add(DefaultWindow)) {
			firstWindowLimited = h.fake.Stats().RateLimited
		}
	}
	wg.Wait()
	st := h.fake.Stats()
	for code, n := range st.Statuses {
		if code/100 == 2 {
			rep.accepted += n
		}
	}
	rep.limited = st.RateLimited
	rep.limitedAfterFirst = st.RateLimited - max(firstWindowLimited, 0)
	return rep
}

func TestGovernorKeepsUnderTheLimitForTwoCallers(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	eventA := h.connect(hubEU)
	eventB, err := h.svc.Client(ctx, hubEU) // a second event on the same portal
	if err != nil {
		t.Fatal(err)
	}
	if eventA.limiter != eventB.limiter {
		t.Fatal("two clients of one portal must share one limiter")
	}
	rep := runLoad(t, h, []*Client{eventA, eventB}, 2, 30*time.Second, 5*time.Millisecond)
	t.Logf("accepted %d, 429 %d, per client %v, errors %d, utilisation %.3f", rep.accepted, rep.limited, rep.perClient, rep.errors, rep.utilisation(110, 10*time.Second))
	if rep.limited != 0 {
		t.Errorf("%d requests answered with 429 (%d after the first window)", rep.limited, rep.limitedAfterFirst)
	}
	if u := rep.utilisation(110, 10*time.Second); u < 0.95 || u > 1.0 {
		t.Errorf("utilisation = %.3f of 110/10 s, want ≥ 0.95", u)
	}
	// The budget is shared: together the two stay within it, each gets a fair part.
	total := rep.perClient[0] + rep.perClient[1]
	for i, n := range rep.perClient {
		if float64(n) < 0.35*float64(total) {
			t.Errorf("client %d got %d of %d requests", i, n, total)
		}
	}
	st := h.svc.Governor().State(hubEU)
	if st.PerWindow != 107 || st.Window != 10*time.Second || st.Sent < int64(total) || st.Remaining < 0 {
		t.Errorf("governor state = %+v", st)
	}
}

func TestGovernorTunesToAdvertisedLimit(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{RateLimit: hubspotfake.RateLimit{Max: 190}}, nil)
	cl := h.connect(hubEU)
	rep := runLoad(t, h, []*Client{cl}, 4, 30*time.Second, 5*time.Millisecond)
	t.Logf("accepted %d, 429 %d, errors %d, utilisation %.3f", rep.accepted, rep.limited, rep.errors, rep.utilisation(190, 10*time.Second))
	if rep.limited != 0 {
		t.Errorf("%d 429s", rep.limited)
	}
	if u := rep.utilisation(190, 10*time.Second); u < 0.85 {
		t.Errorf("utilisation = %.3f of 190/10 s: the Max header was not used", u)
	}
	if st := h.svc.Governor().State(hubEU); st.PerWindow != 187 {
		t.Errorf("per window = %d, want 187 (190 less 3 spare)", st.PerWindow)
	}
}

// slowWriter holds the first n requests back before they go out, as a new
// connection's handshake or a long body does; later ones go at once.
type slowWriter struct {
	next  http.RoundTripper
	delay time.Duration
	left  atomic.Int32
}

func (s *slowWriter) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.left.Add(-1) >= 0 {
		time.Sleep(s.delay)
	}
	return s.next.RoundTrip(r)
}

// HubSpot counts a request when it arrives. A burst whose requests leave
// late must be counted from then: counted from the grant, its slots free
// too early, and the next burst lands in the same window as it and is
// refused.
func TestBurstIsCountedWhenItLeaves(t *testing.T) {
	const delay = 400 * time.Millisecond
	var slow *slowWriter
	h := newHarnessOn(t, clockwork.NewRealClock(), nil, hubspotfake.Options{RateLimit: hubspotfake.RateLimit{Max: 10, Window: time.Second}},
		func(o *Options) {
			slow = &slowWriter{next: o.HTTPClient.Transport, delay: delay}
			o.HTTPClient = &http.Client{Transport: slow, Timeout: 10 * time.Second}
		})
	cl := h.connect(hubEU)
	ctx := context.Background()
	// Learn the limit (10 less 3 spare), then let the window empty.
	if _, err := cl.BatchRead(ctx, Contacts, "email", []string{"a@example.org"}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	h.fake.ResetStats()
	slow.left.Store(7) // the first burst leaves late
	ctx = Urgent(ctx)  // live work: not spread over the window
	var wg sync.WaitGroup
	errs := make(chan error, 14)
	for i := 0; i < 14; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cl.BatchRead(ctx, Contacts, "email", []string{"a@example.org"}, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := h.fake.Stats(); st.RateLimited != 0 || st.Total != 14 {
		t.Fatalf("%d requests reached HubSpot, %d answered 429; want 14 and none", st.Total, st.RateLimited)
	}
}
