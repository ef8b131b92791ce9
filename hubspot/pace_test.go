package hubspot

import (
	"testing"
	"time"
)

// The pace lets a quarter of the window go at once, then one request per
// window ÷ limit.
func TestPaceSpreadsBulkRequests(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	p := newPace(100, 10*time.Second) // 10 a second, 25 at once
	now := t0
	var sends []time.Duration
	for i := 0; i < 28; i++ {
		now = p.ready(now)
		p.take(now)
		sends = append(sends, now.Sub(t0))
	}
	cases := []struct {
		i    int
		want time.Duration
	}{{0, 0}, {24, 0}, {25, 100 * time.Millisecond}, {26, 200 * time.Millisecond}, {27, 300 * time.Millisecond}}
	for _, c := range cases {
		if got := sends[c.i].Round(time.Millisecond); got != c.want {
			t.Errorf("send %d at %v, want %v", c.i, got, c.want)
		}
	}
	// Idle for a while: the burst is back, but no more than it.
	now = now.Add(time.Minute)
	for i := 0; i < 25; i++ {
		if at := p.ready(now); !at.Equal(now) {
			t.Fatalf("send %d after a pause waits %v", i, at.Sub(now))
		}
		p.take(now)
	}
	if at := p.ready(now); !at.After(now) {
		t.Fatal("more than the burst went at once")
	}
}
