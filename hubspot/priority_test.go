package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// Urgent requests (the live lane) go before waiting bulk requests, and
// while they come, bulk requests leave a tenth of the window to them.
func TestGovernorServesUrgentFirstAndHoldsAShareBack(t *testing.T) {
	fc := clockwork.NewFakeClockAt(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	g := NewGovernor(fc)
	p := g.portal(1)
	p.perWindow = 20
	p.budget.setLimit(20, 10*time.Second)
	bg := context.Background()
	for i := 0; i < 20; i++ { // a full window of bulk work, a send per ms
		if _, err := p.acquire(bg, "read", time.Minute); err != nil {
			t.Fatal(err)
		}
		p.release(nil, fc.Now())
		fc.Advance(time.Millisecond)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	start := func(name string, ctx context.Context) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.acquire(ctx, "read", time.Minute); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}()
	}
	granted := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			got := append([]string(nil), order...)
			mu.Unlock()
			if len(got) == len(want) {
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("granted %v, want %v", got, want)
					}
				}
				return
			}
			if len(got) > len(want) || time.Now().After(deadline) {
				t.Fatalf("granted %v, want %v", got, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waiting := func(n int) {
		t.Helper()
		if err := fc.BlockUntilContext(bg, n); err != nil {
			t.Fatal(err)
		}
	}
	start("bulk1", bg)
	waiting(1)
	start("bulk2", bg)
	waiting(2)
	start("urgent", Urgent(bg))
	waiting(3)
	fc.Advance(10*time.Second - 20*time.Millisecond) // the first send leaves: room for one
	granted("urgent")
	// An urgent grant within the window, at the rate of four a window:
	// bulk leaves 4 of 20 free, so it goes only when five are free.
	for i := 0; i < 4; i++ {
		waiting(2)
		fc.Advance(time.Millisecond)
	}
	waiting(2)
	granted("urgent")
	fc.Advance(time.Millisecond)
	granted("urgent", "bulk1")
	waiting(1)
	fc.Advance(time.Millisecond)
	granted("urgent", "bulk1", "bulk2")
	wg.Wait()
	p.mu.Lock()
	free, keep := p.budget.free(fc.Now()), p.keepFor(false, fc.Now())
	p.mu.Unlock()
	if free != 4 || keep != 4 {
		t.Fatalf("free %d, kept for live work %d; want 4 and 4", free, keep)
	}
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	if _, err := p.acquire(ctx, "read", time.Minute); err == nil {
		t.Fatal("a bulk request took the share held for live work")
	}
	if _, err := p.acquire(Urgent(bg), "read", time.Minute); err != nil {
		t.Fatalf("urgent request: %v", err)
	}
	// A window without urgent work: bulk gets everything again.
	fc.Advance(10*time.Second + time.Millisecond)
	p.mu.Lock()
	keep = p.keepFor(false, fc.Now())
	p.mu.Unlock()
	if keep != 0 {
		t.Fatalf("kept %d for live work a window after the last", keep)
	}
}

// HubSpot counts a request when it arrives, so requests still in flight
// are already in its Remaining: comparing Remaining with our sends up to
// the request's own must not count them twice, while requests of another
// app sharing the portal are still noticed.
func TestGovernorReadsRemainingAgainstItsOwnSends(t *testing.T) {
	cases := []struct {
		name      string
		others    int // requests of another app HubSpot counted
		wantSpent int
	}{
		{"only ours", 0, 0},
		{"another app's too", 20, 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc := clockwork.NewFakeClockAt(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
			p := NewGovernor(fc).portal(1)
			var last time.Time
			for i := 0; i < 51; i++ { // 51 in flight at once (urgent: not paced)
				at, err := p.acquire(Urgent(context.Background()), "read", time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				last = at
			}
			fc.Advance(300 * time.Millisecond)
			// The last one sent is answered first; HubSpot had counted all 51.
			h := http.Header{}
			h.Set("X-HubSpot-RateLimit-Max", "110")
			h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
			h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(110-51-c.others))
			p.release(h, last)
			p.mu.Lock()
			free := p.budget.free(fc.Now())
			p.mu.Unlock()
			if want := DefaultPerWindow - 51 - c.wantSpent; free != want {
				t.Fatalf("free = %d, want %d", free, want)
			}
		})
	}
}

// The room bulk requests leave is what live work spends in a window at the
// rate it came in — measured over at least a quarter of the window — from a
// tenth to at most half of it.
func TestGovernorHoldsBackWhatLiveWorkNeeds(t *testing.T) {
	cases := []struct {
		name   string
		urgent int
		over   time.Duration // spread evenly up to now
		want   int
	}{
		{"none", 0, 0, 0},
		{"one call: a tenth", 1, 0, 10},
		{"one order's calls: their rate over a quarter window", 4, 0, 16},
		{"ten at once: over a quarter window", 10, 0, 40},
		{"ten over the whole window", 10, 9 * time.Second, 12},
		{"thirty over the whole window", 30, 9 * time.Second, 34},
		{"eight in two seconds: the rate of a window", 8, 2 * time.Second, 32},
		{"more than half", 80, 9 * time.Second, 53},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc := clockwork.NewFakeClockAt(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
			p := NewGovernor(fc).portal(1)
			for i := 0; i < c.urgent; i++ {
				if i > 0 && c.over > 0 {
					fc.Advance(c.over / time.Duration(c.urgent-1))
				}
				p.urgentSent.take(fc.Now())
			}
			if got := p.keepFor(false, fc.Now()); got != c.want {
				t.Errorf("after %d urgent requests over %v bulk leaves %d, want %d", c.urgent, c.over, got, c.want)
			}
			if got := p.keepFor(true, fc.Now()); got != 0 {
				t.Errorf("urgent requests leave %d, want 0", got)
			}
			fc.Advance(DefaultWindow)
			if got := p.keepFor(false, fc.Now()); got != 0 {
				t.Errorf("a window later bulk leaves %d, want 0", got)
			}
		})
	}
}
