package hubspot

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// The rolling window allows a full window at once, then frees each next
// request exactly when the oldest leaves the window — never more than the
// limit in any window of its length.
func TestRollingWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := newRollingWindow(3, 10*time.Second)
	var got []time.Duration
	now := t0
	for i := 0; i < 7; i++ {
		if at := t0.Add(time.Duration(i) * time.Second); at.After(now) {
			now = at
		}
		now = w.nextFree(now, 0)
		w.take(now)
		got = append(got, now.Sub(t0))
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 10 * time.Second, 11 * time.Second, 12 * time.Second, 20 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("send times %v, want %v", got, want)
		}
	}
	// Someone else's requests take room; keep leaves room unused.
	w = newRollingWindow(3, 10*time.Second)
	w.take(t0)
	w.spend(t0.Add(time.Second), 2)
	if n := w.free(t0.Add(time.Second)); n != 0 {
		t.Fatalf("free after spend = %d, want 0", n)
	}
	cases := []struct {
		keep int
		want time.Duration
	}{
		{0, 10 * time.Second}, // the first leaves
		{1, 11 * time.Second}, // two must leave to keep one spare
		{2, 11 * time.Second},
		{3, 12 * time.Second}, // never while only we send: a window later
	}
	for _, c := range cases {
		if at := w.nextFree(t0.Add(2*time.Second), c.keep); at != t0.Add(c.want) {
			t.Errorf("nextFree(keep %d) = %v, want %v", c.keep, at.Sub(t0), c.want)
		}
	}
	if n := w.free(t0.Add(10*time.Second + time.Millisecond)); n != 1 {
		t.Fatalf("free once the first left = %d, want 1", n)
	}
}

// Sends are remembered for two windows, so an answer that comes late is
// still compared with what was sent around its request.
func TestRollingWindowRemembersTheWindowBefore(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := newRollingWindow(5, 10*time.Second)
	for i := 0; i < 4; i++ {
		w.take(t0.Add(time.Duration(i) * time.Second))
	}
	now := t0.Add(12 * time.Second)
	cases := []struct {
		from, to time.Duration
		want     int
	}{
		{-time.Second, 3 * time.Second, 4},
		{time.Second, 2 * time.Second, 1}, // (1 s, 2 s]
		{3 * time.Second, 10 * time.Second, 0},
	}
	for _, c := range cases {
		if n := w.sentBetween(t0.Add(c.from), t0.Add(c.to)); n != c.want {
			t.Errorf("sentBetween(%v, %v) = %d, want %d", c.from, c.to, n, c.want)
		}
	}
	if n := w.free(now); n != 4 { // only the send at 3 s is within the window
		t.Errorf("free = %d, want 4", n)
	}
	w.prune(t0.Add(22 * time.Second))
	if n := w.sentBetween(t0.Add(-time.Second), t0.Add(3*time.Second)); n != 1 {
		t.Errorf("after two windows %d sends remembered, want 1", n)
	}
}

// A request counts from when it was written out plus the time it takes to
// reach HubSpot; a burst 429 says that takes longer than we thought, and
// windows without one bring it back down.
func TestArrivalLagFollows429s(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	p := NewGovernor(clock).portal(1)
	steps := []struct {
		at      time.Duration // after t0
		limited bool          // a burst 429 now; else a request written out now
		wantLag time.Duration
	}{
		{0, false, overtake},
		{time.Second, true, 2 * overtake},
		{1500 * time.Millisecond, true, 4 * overtake},
		{2 * time.Second, false, 4 * overtake},
		{25 * time.Second, false, 2 * overtake}, // two windows later
		{46 * time.Second, false, overtake},
		{70 * time.Second, false, overtake}, // never below the transit allowance
	}
	for _, st := range steps {
		now := t0.Add(st.at)
		clock.Advance(now.Sub(clock.Now()))
		if st.limited {
			p.onRateLimited("TEN_SECONDLY_ROLLING", time.Time{})
		} else {
			p.budget.take(now)
			p.wrote(now, now.Add(time.Millisecond))
			if got := p.budget.sent[len(p.budget.sent)-1]; !got.Equal(now.Add(time.Millisecond + p.lag)) {
				t.Errorf("at %v: counted at %v, want written time plus lag %v", st.at, got.Sub(t0), p.lag)
			}
		}
		if p.lag != st.wantLag {
			t.Errorf("at %v: lag %v, want %v", st.at, p.lag, st.wantLag)
		}
	}
}
