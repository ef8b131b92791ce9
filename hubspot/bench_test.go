package hubspot

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	hubspotfake "pretix-hubspot/fakes/hubspot"
)

// BenchmarkGovernorLimitUse measures, over 60 s of sustained batch calls by
// two callers (two events) on one portal, which share of HubSpot's 110
// requests per rolling 10 s the governor uses, and how many 429s the
// emulator sends after the first window.
//
// It runs on real time over real HTTP against the emulator's latency model
// (60 s of wall time). With HUBSPOT_BENCH_FAKECLOCK=1 governor and emulator
// share a fake clock that moves only when every caller waits instead, so
// the governor's pacing alone is measured in well under a second.
func BenchmarkGovernorLimitUse(b *testing.B) {
	const dur = 60 * time.Second
	var rep loadReport
	for i := 0; i < b.N; i++ {
		if os.Getenv("HUBSPOT_BENCH_FAKECLOCK") == "" {
			rep = realTimeLoad(b, dur)
		} else {
			h := newHarness(b, hubspotfake.Options{}, nil)
			a := h.connect(hubEU)
			other, err := h.svc.Client(context.Background(), hubEU)
			if err != nil {
				b.Fatal(err)
			}
			rep = runLoad(b, h, []*Client{a, other}, 2, dur, 5*time.Millisecond)
		}
	}
	use := rep.utilisation(110, 10*time.Second)
	b.ReportMetric(use, "limit-use")
	b.ReportMetric(float64(rep.limitedAfterFirst), "429-after-first-window")
	fmt.Printf("BENCH hubspot_governor_limit_use %.3f ratio\n", use)
	fmt.Printf("BENCH hubspot_governor_429 %d count\n", rep.limitedAfterFirst)
}

// realTimeLoad is runLoad on the wall clock, with HubSpot's latency.
func realTimeLoad(b *testing.B, dur time.Duration) loadReport {
	h := newHarnessOn(b, clockwork.NewRealClock(), nil, hubspotfake.Options{Latency: hubspotfake.RealisticLatency(11)}, nil)
	ctx := context.Background()
	a := h.connect(hubEU)
	other, err := h.svc.Client(ctx, hubEU)
	if err != nil {
		b.Fatal(err)
	}
	h.fake.SeedRecord(hubEU, "contacts", map[string]string{"email": "load@example.org"})
	time.Sleep(10 * time.Second) // let the connect calls leave the window
	h.fake.ResetStats()
	start := time.Now()
	end := start.Add(dur)
	rep := loadReport{perClient: make([]int64, 2), duration: dur}
	var wg sync.WaitGroup
	var firstWindow atomic.Int64
	firstWindow.Store(-1)
	go func() {
		time.Sleep(DefaultWindow)
		firstWindow.Store(int64(h.fake.Stats().RateLimited))
	}()
	for ci, cl := range []*Client{a, other} {
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					if _, err := cl.BatchRead(ctx, Contacts, "email", []string{"load@example.org"}, []string{"firstname"}); err != nil {
						atomic.AddInt64(&rep.errors, 1)
						continue
					}
					atomic.AddInt64(&rep.perClient[ci], 1)
				}
			}()
		}
	}
	wg.Wait()
	rep.duration = time.Since(start)
	st := h.fake.Stats()
	for code, n := range st.Statuses {
		if code/100 == 2 {
			rep.accepted += n
		}
	}
	rep.limited = st.RateLimited
	rep.limitedAfterFirst = st.RateLimited - int(max(firstWindow.Load(), 0))
	return rep
}
